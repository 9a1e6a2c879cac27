"""The local HTTP gateway: API Gateway REST proxy integration in front of the invoker.

Each request becomes the version 1.0 proxy event Lambda receives from API Gateway
(resource, path, headers and multiValueHeaders, query strings, pathParameters,
requestContext with identity and authorizer, base64 bodies), routed by the template's
Api events; the handler's proxy response is mapped back to HTTP. What API Gateway
itself answers is reproduced too: 404 for unknown routes, 502 "Internal server error"
for a failing handler or a malformed response, 413 for a body over the limit, 401/403
from the authorizer hook.

Why the standard library's ThreadingHTTPServer: a local proxy needs no framework, adds
no dependency to the runtime, and a thread per connection serves concurrent requests
(handlers run in their own worker threads anyway). Shutdown is graceful: stop
accepting, close idle keep-alive connections, let in-flight requests finish.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from email.utils import formatdate
from fnmatch import fnmatch
from http.server import ThreadingHTTPServer
from typing import Any

from coderev.runtime.gateway_authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny
from coderev.runtime.gateway_proxy import ProxyRequestHandler
from coderev.runtime.gateway_routes import Route, RouteTable
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template_events import ApiEvent

__all__ = [
    "Allow",
    "AuthorizerHook",
    "AuthorizerRequest",
    "Deny",
    "Gateway",
]

logger = logging.getLogger(__name__)

DEFAULT_BINARY_MEDIA_TYPES = (
    "application/octet-stream", "application/zip", "application/x-zip-compressed",
    "application/gzip", "application/pdf", "image/*", "audio/*", "video/*",
)
API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024


class _Server(ThreadingHTTPServer):
    """Tracks connections and in-flight requests so shutdown can be graceful."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Gateway):
        self.gateway = gateway
        self.stopping = threading.Event()
        self._connections: dict[socket.socket, bool] = {}
        self._state = threading.Condition()
        super().__init__(address, ProxyRequestHandler)

    def track(self, connection: socket.socket, *, busy: bool | None) -> None:
        with self._state:
            if busy is None:
                self._connections.pop(connection, None)
            else:
                self._connections[connection] = busy
            self._state.notify_all()

    def close_idle(self) -> None:
        with self._state:
            idle = [conn for conn, busy in self._connections.items() if not busy]
        for connection in idle:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def wait_drained(self, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(lambda: not any(self._connections.values()), timeout)


class Gateway:
    """Serves the template's Api events over HTTP on loopback (default 127.0.0.1:8080)."""

    def __init__(
        self,
        invoker: LocalInvoker,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        authorizer: AuthorizerHook | None = None,
        max_body_bytes: int = API_GATEWAY_PAYLOAD_LIMIT,
        binary_media_types: Iterable[str] = DEFAULT_BINARY_MEDIA_TYPES,
        keep_alive_seconds: float = 30.0,
        wall_clock: Callable[[], float] = time.time,
    ):
        self.invoker = invoker
        self.routes = RouteTable(
            Route.build(function.logical_id, event)
            for function, event in invoker.template.events_of(ApiEvent)
        )
        self.authorizer = authorizer
        self.max_body_bytes = max_body_bytes
        self.binary_media_types = tuple(binary_media_types)
        self.keep_alive_seconds = keep_alive_seconds
        self.wall_clock = wall_clock
        self._server = _Server((host, port), self)
        self._thread: threading.Thread | None = None
        self._serving = threading.Event()

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def stopping(self) -> bool:
        return self._server.stopping.is_set()

    def start(self) -> Gateway:
        """Serve in a background thread; returns at once."""
        self._thread = threading.Thread(target=self.serve_forever, name="coderev-gateway",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` is called from another."""
        logger.info("gateway listening on %s with %d routes", self.url, len(self.routes))
        self._serving.set()
        self._server.serve_forever(poll_interval=0.1)

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop accepting, close idle connections, wait for in-flight requests (True if all)."""
        self._server.stopping.set()
        if self._serving.is_set():
            self._server.shutdown()
        self._server.server_close()
        self._server.close_idle()
        drained = self._server.wait_drained(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        return drained

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def is_binary(self, content_type: str | None, body: bytes) -> bool:
        """Base64 for binary media types and for bodies that are not UTF-8 text."""
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        if media_type and any(fnmatch(media_type, kind) for kind in self.binary_media_types):
            return True
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return True
        return False

    def authorize(self, name: str, token: str | None, method_arn: str,
                  event: Mapping[str, Any]) -> Allow | Deny | None:
        """Run the authorizer hook; None means it failed (API Gateway answers 500)."""
        if token is None or not token.strip():
            return Deny(401)
        if self.authorizer is None:
            logger.warning("route needs authorizer %s but the gateway has no hook", name)
            return Deny(401)
        try:
            return self.authorizer(AuthorizerRequest(name, token, method_arn, event))
        except Exception:
            logger.exception("authorizer %s failed", name)
            return None

    def request_time(self) -> tuple[str, int]:
        now = self.wall_clock()
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))
        return stamp, int(now * 1000)

    @staticmethod
    def new_request_id() -> str:
        return str(uuid.uuid4())

    @staticmethod
    def http_date() -> str:
        return formatdate(usegmt=True)

    @staticmethod
    def json_body(payload: Any) -> bytes:
        return json.dumps(payload, separators=(",", ":")).encode()

    @staticmethod
    def decode_body(body: str, is_base64: bool) -> bytes:
        return base64.b64decode(body, validate=True) if is_base64 else body.encode()
