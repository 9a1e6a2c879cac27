"""The gateway's HTTP server: its settings and graceful connection tracking.

The server records each connection as idle or busy so `stop` can close idle keep-alive
connections at once and let busy ones finish their request before closing.
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from coderev.runtime.gateway.authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny
from coderev.runtime.gateway.routes import RouteTable
from coderev.runtime.gateway.uploads import UploadEndpoint
from coderev.runtime.invoker import LocalInvoker

__all__ = ["API_GATEWAY_PAYLOAD_LIMIT", "DEFAULT_BINARY_MEDIA_TYPES", "DEFAULT_UPLOAD_LIMIT",
           "ProxyServer", "ProxySettings"]

logger = logging.getLogger(__name__)

DEFAULT_BINARY_MEDIA_TYPES = (
    "application/octet-stream", "application/zip", "application/x-zip-compressed",
    "application/gzip", "application/pdf", "image/*", "audio/*", "video/*",
)
API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024
# Presigned uploads (PUT /_objects/...) bypass API Gateway, as S3 uploads do; an archive past
# ingest's decompressed-size limit could never be analysed, so that is the upload limit.
DEFAULT_UPLOAD_LIMIT = 1024 * 1024 * 1024


@dataclass(frozen=True)
class ProxySettings:
    """What the request handler needs: routes, invoker, authorizer hook, limits, clock."""

    invoker: LocalInvoker
    routes: RouteTable
    authorizer: AuthorizerHook | Mapping[str, AuthorizerHook] | None = None
    max_body_bytes: int = API_GATEWAY_PAYLOAD_LIMIT
    binary_media_types: tuple[str, ...] = DEFAULT_BINARY_MEDIA_TYPES
    keep_alive_seconds: float = 30.0
    wall_clock: Callable[[], float] = time.time
    uploads: UploadEndpoint | None = None  # PUT /_objects/...: presigned uploads

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
        """Run the route's authorizer hook; None means it failed (API Gateway answers 500).

        A route whose authorizer has no hook fails closed with 401.
        """
        hook = (self.authorizer.get(name) if isinstance(self.authorizer, Mapping)
                else self.authorizer)
        if hook is None:
            logger.warning("route needs authorizer %s but the gateway has no hook for it", name)
            return Deny(401)
        try:
            return hook(AuthorizerRequest(name, token, method_arn, event))
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


class ProxyServer(ThreadingHTTPServer):
    """Tracks connections and in-flight requests so shutdown can be graceful."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], settings: ProxySettings,
                 handler: type[BaseHTTPRequestHandler]):
        self.settings = settings
        self.stopping = threading.Event()
        self._connections: dict[socket.socket, bool] = {}
        self._state = threading.Condition()
        super().__init__(address, handler)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)

    def track(self, connection: socket.socket, *, busy: bool | None) -> None:
        with self._state:
            if busy is None:
                self._connections.pop(connection, None)
            else:
                self._connections[connection] = busy
            self._state.notify_all()

    @property
    def in_flight(self) -> int:
        """Connections in the middle of a request."""
        with self._state:
            return sum(self._connections.values())

    def close_idle(self) -> None:
        with self._state:
            idle = [conn for conn, busy in self._connections.items() if not busy]
        for connection in idle:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def wait_drained(self, timeout: float) -> bool:
        with self._state:
            return self._state.wait_for(lambda: not any(self._connections.values()), timeout)
