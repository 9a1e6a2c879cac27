"""One HTTP request through the gateway: proxy event in, proxy response out.

Builds the API Gateway REST (payload version 1.0) proxy event exactly as Lambda
receives it and maps the handler's `{"statusCode", "headers", "multiValueHeaders",
"body", "isBase64Encoded"}` back to HTTP, answering like API Gateway when it cannot.
It knows nothing of sockets: the HTTP server hands it a `GatewayRequest` and a body
already read within the payload limit, in a worker thread (handlers block).
"""

from __future__ import annotations

import binascii
import logging
from typing import Any
from urllib.parse import parse_qsl

from coderev.runtime.errors import FunctionThrottledError, InvalidEventError
from coderev.runtime.gateway.authorizer import Deny
from coderev.runtime.gateway.proxy_event import ProxyRequest
from coderev.runtime.gateway.request import GatewayReply, GatewayRequest
from coderev.runtime.gateway.responses import gateway_error
from coderev.runtime.gateway.routes import RouteMatch
from coderev.runtime.gateway.server import ProxySettings
from coderev.runtime.gateway.uploads import DIRECT_UPLOAD_TOO_LARGE

__all__ = ["ProxyDispatcher", "json_reply"]

logger = logging.getLogger(__name__)


def json_reply(status: int, payload: Any, settings: ProxySettings, *,
               close: bool = False) -> GatewayReply:
    """What the gateway itself answers: a JSON body, for an error (status >= 400) in the
    API's error shape `{"error", "message"}` (coderev.runtime.gateway.responses)."""
    if status >= 400 and "error" not in payload:
        payload = gateway_error(status, payload.get("message"))
    return GatewayReply(status, (("Content-Type", "application/json"),),
                        settings.json_body(payload), close)  # fmt: skip


class ProxyDispatcher:
    """Routes, authorizes and invokes; `address` is the (host, port) the gateway serves on."""

    def __init__(self, settings: ProxySettings, address: tuple[str, int]):
        self.settings = settings
        self.address = address

    def serve(self, request: GatewayRequest, body: bytes, request_id: str) -> GatewayReply:
        try:
            return self._dispatch(request, body, request_id)
        except InvalidEventError:
            return json_reply(413, {"message": DIRECT_UPLOAD_TOO_LARGE}, self.settings,
                              close=True)  # fmt: skip
        except ValueError:
            return json_reply(400, {"message": "Bad Request"}, self.settings, close=True)
        except Exception:
            logger.exception("gateway failed on %s %s", request.method, request.path)
            return json_reply(500, {"message": "Internal server error"}, self.settings,
                              close=True)  # fmt: skip

    def _dispatch(self, request: GatewayRequest, body: bytes, request_id: str) -> GatewayReply:
        found = self.settings.routes.match(request.method, request.path)
        if not isinstance(found, RouteMatch):
            if request.path == "/health" and request.method in ("GET", "HEAD"):
                return json_reply(200, {"status": "ok", "routes": len(self.settings.routes)},
                                  self.settings)  # fmt: skip
            if request.path == "/metrics" and request.method in ("GET", "HEAD"):
                from coderev.telemetry.metrics import exposition

                body, content_type = exposition()
                return GatewayReply(200, (("Content-Type", content_type),), body)
            message = "Missing Authentication Token" if found is False else "Not Found"
            return json_reply(404, {"message": message}, self.settings)
        event = self._event(request, found, body, request_id)
        if found.route.event.authorizer is not None:
            refusal = self._authorize(request, found, event)
            if refusal is not None:
                return refusal
        throttled = self._throttle(event)
        if throttled is not None:
            return throttled
        try:
            result = self.settings.invoker.invoke(found.route.function, event)
        except FunctionThrottledError:
            return json_reply(429, {"message": "Too Many Requests"}, self.settings)
        if not result.ok:
            logger.warning("%s failed: %s", found.route.function, result.payload)
            return json_reply(502, {"message": "Internal server error"}, self.settings)
        try:
            return _proxy_response(result.payload, self.settings)
        except ValueError as exc:
            logger.warning("malformed Lambda proxy response: %s", exc)
            return json_reply(502, {"message": "Internal server error"}, self.settings)

    def _event(self, request: GatewayRequest, found: RouteMatch, body: bytes,
               request_id: str) -> dict[str, Any]:
        api = found.route.event
        request_time, epoch_ms = self.settings.request_time()
        host, port = self.address
        return ProxyRequest(
            method=request.method, path=request.path, resource=api.path, stage=api.stage,
            headers=request.headers,
            query=parse_qsl(request.query, keep_blank_values=True),
            path_parameters=found.path_parameters, body=body,
            binary=bool(body) and self.settings.is_binary(request.header("Content-Type"), body),
            account_id=self.settings.invoker.template.identity.account_id,
            api_id=(api.rest_api or "local").lower(), domain=f"{host}:{port}",
            resource_id=api.name, request_id=request_id, request_time=request_time,
            request_epoch_ms=epoch_ms, source_ip=request.client_ip,
            user_agent=request.header("User-Agent"), protocol=request.protocol,
        ).event()  # fmt: skip

    def _authorize(self, request: GatewayRequest, found: RouteMatch,
                   event: dict[str, Any]) -> GatewayReply | None:
        """None when the authorizer allows (its context is then in the event), else the
        refusal API Gateway sends."""
        name = found.route.event.authorizer or ""
        identity = self.settings.invoker.template.identity
        context = event["requestContext"]
        method_arn = (f"arn:{identity.partition}:execute-api:{identity.region}:"
                      f"{identity.account_id}:{context['apiId']}/{context['stage']}/"
                      f"{request.method}{event['path']}")
        started = self.settings.wall_clock()
        decision = self.settings.authorize(name, request.header("Authorization"), method_arn,
                                          event)
        if decision is None:
            return json_reply(500, {"message": None}, self.settings)
        if isinstance(decision, Deny):
            return json_reply(decision.status, {"message": decision.message}, self.settings)
        latency = int((self.settings.wall_clock() - started) * 1000)
        context["authorizer"] = {**decision.context, "principalId": decision.principal_id,
                                 "integrationLatency": latency}
        return None


    def _throttle(self, event: dict[str, Any]) -> GatewayReply | None:
        """429 with Retry-After once the caller (the authorizer's principal, else the client
        address) is over the rate limit; None while it is not."""
        limiter = self.settings.rate_limiter
        if limiter is None:
            return None
        context = event["requestContext"]
        principal = (context.get("authorizer") or {}).get("principalId")
        tenant = (context.get("authorizer") or {}).get("tenant", "")
        key = (f"principal:{tenant}/{principal}" if principal
               else f"address:{context['identity'].get('sourceIp')}")  # fmt: skip
        throttled = limiter.admit(key)
        if throttled is None:
            return None
        reply = json_reply(429, {"message": "Too Many Requests"}, self.settings)
        return GatewayReply(reply.status, (*reply.headers,
                                           ("Retry-After", str(throttled.retry_after))),
                            reply.body)  # fmt: skip


def _proxy_response(payload: Any, settings: ProxySettings) -> GatewayReply:
    if not isinstance(payload, dict):
        raise ValueError("the response is not an object")
    status = payload.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status")
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        raise ValueError("body is not a string")
    headers: list[tuple[str, str]] = []
    single = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise ValueError("headers are not objects")
    for name, value in single.items():
        if name not in multi:
            headers.append((str(name), str(value)))
    for name, values in multi.items():
        if not isinstance(values, list):
            raise ValueError(f"multiValueHeaders[{name!r}] is not a list")
        headers.extend((str(name), str(value)) for value in values)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    try:
        raw = settings.decode_body(body or "", bool(payload.get("isBase64Encoded")))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"body is not base64: {exc}") from exc
    return GatewayReply(status, tuple(headers), raw)
