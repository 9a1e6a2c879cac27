"""The auth HTTP API: register, login, refresh (rotation), logout, whoami, members, API keys.

- POST /auth/register (201), /auth/login, /auth/refresh: public;
- POST /auth/logout (204), GET /auth/whoami, GET|POST /auth/members, GET|POST
  /auth/api-keys, DELETE /auth/api-keys/{id}: a bearer token (or the authorizer's principal);
- GET /auth/openapi.json, generated on first request, with the bearer security scheme.

Passwords, tokens and API keys are never logged: `log_event=False` (the event holds them in
its body and headers). Errors map by type to a status through coderev.http.errors; every
error answers `{"error", "message"}`. Outside embedded mode the first request that needs the
signing key fails (503) when JWT_SECRET_KEY is missing or a placeholder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import auth_routes, error_handlers
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


TITLE = "coderev auth"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


@app.get("/auth/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json, with_bearer_security

    document = with_bearer_security(openapi_json(app, TITLE), public=auth_routes.PUBLIC)
    return Response(200, "application/json", document)


app.include_router(auth_routes.router)
error_handlers.install(app, logger, metrics)


@traced
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
