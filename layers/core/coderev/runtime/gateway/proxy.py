"""One HTTP request through the gateway: proxy event in, proxy response out.

Builds the API Gateway REST (payload version 1.0) proxy event exactly as Lambda
receives it and maps the handler's `{"statusCode", "headers", "multiValueHeaders",
"body", "isBase64Encoded"}` back to HTTP, answering like API Gateway when it cannot.
"""

from __future__ import annotations

import binascii
import logging
import socket
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from coderev.runtime.errors import FunctionThrottledError, InvalidEventError
from coderev.runtime.gateway.authorizer import Deny
from coderev.runtime.gateway.proxy_event import ProxyRequest
from coderev.runtime.gateway.routes import RouteMatch
from coderev.runtime.gateway.server import ProxyServer, ProxySettings
from coderev.runtime.gateway.uploads import UploadEndpoint, UploadTooLargeError

__all__ = ["ProxyRequestHandler"]

logger = logging.getLogger(__name__)

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date"}


class _BodyTooLargeError(Exception):
    pass


class ProxyRequestHandler(BaseHTTPRequestHandler):
    """Serves one connection; `server` is the gateway's server."""

    protocol_version = "HTTP/1.1"
    server_version = "coderev-gateway"
    sys_version = ""
    server: ProxyServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.settings.keep_alive_seconds)
        # Headers and body go out in two writes; without NODELAY, Nagle's algorithm and the
        # client's delayed ACK stall every keep-alive response by ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, busy=False)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, busy=None)

    def parse_request(self) -> bool:
        self.server.track(self.connection, busy=True)
        return super().parse_request()

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        finally:
            if self.server.stopping.is_set():
                self.close_connection = True
            self.server.track(self.connection, busy=False)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    @property
    def settings(self) -> ProxySettings:
        return self.server.settings

    def _serve(self) -> None:
        request_id = self.settings.new_request_id()
        try:
            self._dispatch(request_id)
        except (_BodyTooLargeError, InvalidEventError):
            self.close_connection = True
            self._reply_json(413, {"message": "Request Entity Too Large"}, request_id)
        except ValueError:
            self.close_connection = True
            self._reply_json(400, {"message": "Bad Request"}, request_id)
        except OSError:
            raise  # the client went away: nothing left to answer
        except Exception:
            logger.exception("gateway failed on %s %s", self.command, self.path)
            self.close_connection = True
            self._reply_json(500, {"message": "Internal server error"}, request_id)

    def _dispatch(self, request_id: str) -> None:
        split = urlsplit(self.path)
        path = split.path or "/"
        uploads = self.settings.uploads
        if uploads is not None and uploads.handles(path):
            self._upload(uploads, path, split.query, request_id)
            return
        body = self._read_body()
        found = self.settings.routes.match(self.command, path)
        if not isinstance(found, RouteMatch):
            if path == "/health" and self.command in ("GET", "HEAD"):
                self._reply_json(200, {"status": "ok", "routes": len(self.settings.routes)},
                                 request_id)
                return
            message = "Missing Authentication Token" if found is False else "Not Found"
            self._reply_json(404, {"message": message}, request_id)
            return
        event = self._event(found, path, split.query, body, request_id)
        if found.route.event.authorizer is not None and not self._authorized(found, event,
                                                                             request_id):
            return
        try:
            result = self.settings.invoker.invoke(found.route.function, event)
        except FunctionThrottledError:
            self._reply_json(429, {"message": "Too Many Requests"}, request_id)
            return
        if not result.ok:
            logger.warning("%s failed: %s", found.route.function, result.payload)
            self._reply_json(502, {"message": "Internal server error"}, request_id)
            return
        self._reply_proxy(result.payload, request_id)

    def _upload(self, uploads: UploadEndpoint, path: str, query: str, request_id: str) -> None:
        def read(limit: int) -> bytes:
            try:
                return self._read_body(limit)
            except _BodyTooLargeError:
                raise UploadTooLargeError from None

        reply = uploads.handle(self.command, path, query, self.headers, read)
        if reply.status in (411, 413):
            self.close_connection = True  # the body was not read: the connection is spent
        body = self.settings.json_body(dict(reply.body))
        self._reply(reply.status, [("Content-Type", "application/json"), *reply.headers], body,
                    request_id)  # fmt: skip

    def _read_body(self, limit: int | None = None) -> bytes:
        limit = self.settings.max_body_bytes if limit is None else limit
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                length = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if length == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                size += length
                if size > limit:
                    raise _BodyTooLargeError
                chunks.append(self.rfile.read(length))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > limit:
            raise _BodyTooLargeError
        return self.rfile.read(length) if length else b""

    def _event(self, found: RouteMatch, path: str, query: str, body: bytes,
               request_id: str) -> dict[str, Any]:
        api = found.route.event
        request_time, epoch_ms = self.settings.request_time()
        host, port = self.server.address
        return ProxyRequest(
            method=self.command, path=path, resource=api.path, stage=api.stage,
            headers=list(self.headers.items()),
            query=parse_qsl(query, keep_blank_values=True),
            path_parameters=found.path_parameters, body=body,
            binary=bool(body) and self.settings.is_binary(self.headers.get("Content-Type"), body),
            account_id=self.settings.invoker.template.identity.account_id,
            api_id=(api.rest_api or "local").lower(), domain=f"{host}:{port}",
            resource_id=api.name, request_id=request_id, request_time=request_time,
            request_epoch_ms=epoch_ms, source_ip=self.client_address[0],
            user_agent=self.headers.get("User-Agent"), protocol=self.request_version,
        ).event()  # fmt: skip

    def _authorized(self, found: RouteMatch, event: dict[str, Any], request_id: str) -> bool:
        name = found.route.event.authorizer or ""
        identity = self.settings.invoker.template.identity
        context = event["requestContext"]
        method_arn = (f"arn:{identity.partition}:execute-api:{identity.region}:"
                      f"{identity.account_id}:{context['apiId']}/{context['stage']}/"
                      f"{self.command}{event['path']}")
        started = self.settings.wall_clock()
        decision = self.settings.authorize(name, self.headers.get("Authorization"), method_arn,
                                          event)
        if decision is None:
            self._reply_json(500, {"message": None}, request_id)
            return False
        if isinstance(decision, Deny):
            self._reply_json(decision.status, {"message": decision.message}, request_id)
            return False
        latency = int((self.settings.wall_clock() - started) * 1000)
        context["authorizer"] = {**decision.context, "principalId": decision.principal_id,
                                 "integrationLatency": latency}
        return True

    def _reply_proxy(self, payload: Any, request_id: str) -> None:
        try:
            status, headers, body = _proxy_response(payload, self.settings)
        except ValueError as exc:
            logger.warning("malformed Lambda proxy response: %s", exc)
            self._reply_json(502, {"message": "Internal server error"}, request_id)
            return
        self._reply(status, headers, body, request_id)

    def _reply_json(self, status: int, payload: Any, request_id: str) -> None:
        self._reply(status, [("Content-Type", "application/json")],
                    self.settings.json_body(payload), request_id)

    def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes,
               request_id: str) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("x-amzn-RequestId", request_id)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection or self.server.stopping.is_set():
            self.close_connection = True
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


def _proxy_response(
    payload: Any, settings: ProxySettings
) -> tuple[int, list[tuple[str, str]], bytes]:
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
    return status, headers, raw
