"""The bodies the gateway answers itself (API Gateway's "gateway responses"): the API's one
error shape, `{"error": <type>, "message": <sentence>}`, by status.

API Gateway's defaults are `{"message": ...}`; template.yaml's `GatewayResponses` on
CoderevApi give the deployed API the same `error` names as here, so a client reads one shape
whether a function or the gateway answered (a test holds the two in step).
"""

from __future__ import annotations

from typing import Any

__all__ = ["GATEWAY_ERRORS", "gateway_error"]

GATEWAY_ERRORS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "AccessDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    408: "RequestTimeout",
    413: "RequestTooLarge",
    414: "URITooLong",
    429: "TooManyRequests",
    431: "RequestHeaderFieldsTooLarge",
    500: "InternalError",
    502: "BadGateway",
}


def gateway_error(status: int, message: Any) -> dict[str, str]:
    """The body of a gateway answer of `status` saying `message` (None: the status' name)."""
    error = GATEWAY_ERRORS.get(status, "Error")
    return {"error": error, "message": str(message) if message else error}
