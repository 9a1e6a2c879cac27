"""The gateway as an ASGI application, served by uvicorn (see `http_server`).

It turns the ASGI scope into a `GatewayRequest`, refuses what API Gateway or S3 would
refuse before a handler runs (ambiguous framing, a request line too long, a body over the
limit or too slow), then runs the blocking work in the server's worker threads: the proxy
(`ProxyDispatcher`: route, authorize, invoke) with a body read whole within API Gateway's
payload limit, or the presigned upload endpoint with the body as a stream it writes to
the object store piece by piece.

Telemetry: each request is a span `HTTP <method> <route>` (the route's template, so a trace
search by route works) in the worker thread that answers it, child of the client's
`traceparent` header when it sends one; it counts in the request metrics by route, method and
status, with its latency.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from coderev.runtime.gateway.body_stream import (
    BodyStream,
    BodyTimeoutError,
    ClientDisconnectedError,
    Receive,
    next_body_message,
)
from coderev.runtime.gateway.h11_protocol import RAW_HEADERS
from coderev.runtime.gateway.proxy import ProxyDispatcher, json_reply
from coderev.runtime.gateway.request import GatewayReply, GatewayRequest
from coderev.runtime.gateway.routes import RouteMatch
from coderev.runtime.gateway.server import ProxySettings, ServerLimits
from coderev.runtime.gateway.uploads import (
    DIRECT_UPLOAD_TOO_LARGE,
    UploadEndpoint,
    UploadTooLargeError,
)
from coderev.telemetry import metrics, tracing

__all__ = ["GatewayApp", "InFlight"]

logger = logging.getLogger(__name__)

_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive", "date"}


class _BodyTooLargeError(Exception):
    pass


class InFlight:
    """Requests being answered right now, so `stop` can wait for them to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._state = threading.Condition()

    @contextmanager
    def one(self) -> Iterator[None]:
        with self._state:
            self._count += 1
        try:
            yield
        finally:
            with self._state:
                self._count -= 1
                self._state.notify_all()

    @property
    def count(self) -> int:
        with self._state:
            return self._count

    def wait_drained(self, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(lambda: self._count == 0, timeout)


class GatewayApp:
    """ASGI 3 application; `executor` runs handlers and uploads (they block)."""

    def __init__(self, settings: ProxySettings, dispatcher: ProxyDispatcher,
                 limits: ServerLimits, executor: Executor, in_flight: InFlight,
                 stopping: threading.Event) -> None:  # fmt: skip
        self.settings = settings
        self.dispatcher = dispatcher
        self.limits = limits
        self.executor = executor
        self.in_flight = in_flight
        self.stopping = stopping

    async def __call__(self, scope: Any, receive: Receive, send: Any) -> None:
        if scope["type"] != "http":
            return
        with self.in_flight.one():
            started = time.perf_counter()
            request_id = self.settings.new_request_id()
            request = _request_of(scope)
            route = self._route(request)
            status = 499  # the client went away before the answer (nginx's convention)
            try:
                reply = await self._answer(request, receive, request_id, route)
                status = reply.status
            except ClientDisconnectedError:
                return
            finally:
                metrics.http_request(route, request.method, status, time.perf_counter() - started)
            await _send(send, reply, request_id, close_anyway=self.stopping.is_set())

    def _route(self, request: GatewayRequest) -> str:
        """The route's template (`/analyses/{id}`), a label with few values; `unmatched`."""
        uploads = self.settings.uploads
        if uploads is not None and uploads.handles(request.path):
            return "/_objects/{key+}"
        found = self.settings.routes.match(request.method, request.path)
        if isinstance(found, RouteMatch):
            path = found.route.event.path
            return path if path.startswith("/") else f"/{path}"
        return request.path if request.path in ("/health", "/metrics") else "unmatched"

    def _in_span[R](self, request: GatewayRequest, route: str, work: Callable[[], R]) -> R:
        """Run `work` (in a worker thread) inside the request's span."""
        attributes = {"http.request.method": request.method, "http.route": route,
                      "url.path": request.path}
        with tracing.span(f"HTTP {request.method} {route}", attributes,
                          parent=_trace_headers(request), kind="server") as span:  # fmt: skip
            reply = work()
            if span is not None:
                span.set_attribute("http.response.status_code", getattr(reply, "status", 0))
            return reply

    async def _answer(self, request: GatewayRequest, receive: Receive,
                      request_id: str, route: str) -> GatewayReply:  # fmt: skip
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        uploads = self.settings.uploads
        if uploads is not None and uploads.handles(request.path):
            return await self._upload(uploads, request, receive, route)
        try:
            body = await self._read_body(request, receive)
        except _BodyTooLargeError:
            return json_reply(413, {"message": DIRECT_UPLOAD_TOO_LARGE}, self.settings,
                              close=True)  # fmt: skip
        except BodyTimeoutError:
            return json_reply(408, {"message": "Request Timeout"}, self.settings, close=True)
        loop = asyncio.get_running_loop()
        work = functools.partial(self.dispatcher.serve, request, body, request_id)
        return await loop.run_in_executor(self.executor, self._in_span, request, route, work)

    def _refusal(self, request: GatewayRequest) -> GatewayReply | None:
        """What is refused from the request line and headers alone."""
        if request.header("Transfer-Encoding") is not None and (
                request.header("Content-Length") is not None):
            # RFC 9112 6.3: a request with both is a smuggling attempt or a broken client;
            # h11 would silently prefer chunked, a proxy in front might not.
            return json_reply(400, {"message": "Bad Request"}, self.settings, close=True)
        header_bytes = sum(len(name) + len(value) + 4 for name, value in request.headers)
        if header_bytes + len(request.path) + len(request.query) > self.limits.max_header_bytes:
            # h11 bounds only headers that arrive in pieces; one packet can carry more
            return json_reply(431, {"message": "Request Header Fields Too Large"},
                              self.settings, close=True)  # fmt: skip
        if len(request.path) + len(request.query) > self.limits.max_request_line_bytes:
            return json_reply(414, {"message": "Request-URI Too Long"}, self.settings,
                              close=True)  # fmt: skip
        return None

    async def _read_body(self, request: GatewayRequest, receive: Receive) -> bytes:
        limit = self.settings.max_body_bytes
        declared = request.header("Content-Length")
        if declared is not None and int(declared) > limit:  # h11 checked it is all digits
            raise _BodyTooLargeError
        body = bytearray()
        while True:
            message = await next_body_message(receive, self.limits.body_timeout)
            body += message.get("body", b"")
            if len(body) > limit:
                raise _BodyTooLargeError
            if not message.get("more_body", False):
                return bytes(body)

    async def _upload(self, uploads: UploadEndpoint, request: GatewayRequest,
                      receive: Receive, route: str) -> GatewayReply:  # fmt: skip
        loop = asyncio.get_running_loop()
        streams: list[BodyStream] = []

        def read_body(limit: int) -> BodyStream:
            stream = BodyStream(receive, loop, limit=limit, timeout=self.limits.body_timeout,
                                too_large=UploadTooLargeError)  # fmt: skip
            streams.append(stream)
            return stream

        try:
            work = functools.partial(uploads.handle, request.method, request.path,
                                     request.query, request.message(), read_body)  # fmt: skip
            reply = await loop.run_in_executor(self.executor, self._in_span, request, route, work)
        except BodyTimeoutError:
            return json_reply(408, {"error": "RequestTimeout",
                                    "message": "the upload stalled: no bytes for "
                                               f"{self.limits.body_timeout:.0f} s"},
                              self.settings, close=True)  # fmt: skip
        except ClientDisconnectedError:
            raise
        except Exception:
            logger.exception("upload failed on %s %s", request.method, request.path)
            return json_reply(500, {"error": "InternalError", "message": "the upload failed"},
                              self.settings, close=True)  # fmt: skip
        # A body left unread (refused before or while reading it) would have to be drained
        # before the next request; closing is cheaper than draining up to 1 GiB.
        has_body = request.header("Content-Length") not in (None, "0") or (
            request.header("Transfer-Encoding") is not None)
        unread = has_body and not any(stream.ended for stream in streams)
        headers, body = reply.encoded()
        return GatewayReply(reply.status, tuple(headers), body,
                            close=unread or reply.status in (411, 413))  # fmt: skip


def _trace_headers(request: GatewayRequest) -> dict[str, str]:
    found = {name: request.header(name) for name in ("traceparent", "tracestate")}
    return {name: value for name, value in found.items() if value}


def _request_of(scope: Any) -> GatewayRequest:
    extension = (scope.get("extensions") or {}).get(RAW_HEADERS) or {}
    raw_headers = extension.get("headers") or scope["headers"]
    path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    if not path.startswith("/"):  # absolute-form target: http://host/path
        path = urlsplit(path).path
    client = scope.get("client")
    return GatewayRequest(
        method=scope["method"], path=path or "/",
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=tuple((name.decode("latin-1"), value.decode("latin-1"))
                      for name, value in raw_headers),
        client_ip=client[0] if client else "", protocol=f"HTTP/{scope['http_version']}",
    )  # fmt: skip


async def _send(send: Any, reply: GatewayReply, request_id: str, *, close_anyway: bool) -> None:
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers
               if name.lower() not in _HOP_BY_HOP]
    headers.append((b"x-amzn-RequestId", request_id.encode()))
    headers.append((b"Content-Length", str(len(reply.body)).encode()))
    if reply.close or close_anyway:
        headers.append((b"Connection", b"close"))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})
