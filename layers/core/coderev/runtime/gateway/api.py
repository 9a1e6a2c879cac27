"""The local HTTP gateway: API Gateway REST proxy integration in front of the invoker.

Each request becomes the version 1.0 proxy event Lambda receives from API Gateway
(resource, path, headers and multiValueHeaders, query strings, pathParameters,
requestContext with identity and authorizer, base64 bodies), routed by the template's
Api events; the handler's proxy response is mapped back to HTTP. What API Gateway
itself answers is reproduced too: 404 for unknown routes, 502 "Internal server error"
for a failing handler or a malformed response, 413 for a body over the limit, 401/403
from the authorizer hook, 429 with Retry-After past the rate limit per principal
(`rate_limit`, when given one). Without a hook given, the template's Lambda authorizers run
(`LambdaAuthorizer`); a route naming an authorizer that has no hook fails closed (401). In
open local mode (`open_local`) a request without a token is the local admin's.
Besides the template's routes it serves `/health`, `/metrics` (Prometheus' text format: see
`coderev.telemetry.metrics`) and, as S3 serves the URLs it presigns,
the embedded object store's presigned uploads: `PUT /_objects/<key>` (see
`coderev.runtime.gateway.uploads`).

The HTTP server under it is uvicorn with h11 (`http_server`): a listen backlog of 1024,
RFC 9112 framing (conflicting Content-Length, or Content-Length with Transfer-Encoding:
400), request-line and header limits, header and body timeouts (408), presigned uploads
streamed to the store, handlers in a thread pool; its limits are `ServerLimits`
(arguments, else `CODEREV_GATEWAY_*` variables). Shutdown is graceful: stop accepting,
close idle keep-alive connections, let in-flight requests finish.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from coderev.runtime.gateway.authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny
from coderev.runtime.gateway.lambda_authorizer import LambdaAuthorizer, template_authorizers
from coderev.runtime.gateway.open_local import open_local
from coderev.runtime.gateway.rate_limit import RateLimiter
from coderev.runtime.gateway.routes import Route, RouteTable
from coderev.runtime.gateway.server import (
    API_GATEWAY_PAYLOAD_LIMIT,
    DEFAULT_BINARY_MEDIA_TYPES,
    DEFAULT_UPLOAD_LIMIT,
    ProxySettings,
    ServerLimits,
)
from coderev.runtime.gateway.uploads import UploadEndpoint, handlers_analyses
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template.events import ApiEvent

if TYPE_CHECKING:
    from coderev.ports import ObjectStore
    from coderev.runtime.gateway.http_server import HttpServer

__all__ = [
    "Allow",
    "AuthorizerHook",
    "AuthorizerRequest",
    "Deny",
    "Gateway",
    "LambdaAuthorizer",
    "template_authorizers",
]

logger = logging.getLogger(__name__)


class Gateway:
    """Serves the template's Api events over HTTP on loopback (default 127.0.0.1:8080)."""

    def __init__(
        self,
        invoker: LocalInvoker,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        authorizer: AuthorizerHook | Mapping[str, AuthorizerHook] | None = None,
        max_body_bytes: int = API_GATEWAY_PAYLOAD_LIMIT,
        binary_media_types: Iterable[str] = DEFAULT_BINARY_MEDIA_TYPES,
        keep_alive_seconds: float | None = None,
        backlog: int | None = None,
        limits: ServerLimits | None = None,
        wall_clock: Callable[[], float] = time.time,
        object_store: ObjectStore | None = None,
        max_upload_bytes: int = DEFAULT_UPLOAD_LIMIT,
        open_local_mode: bool = False,
        rate_limiter: RateLimiter | None = None,
    ):
        self.invoker = invoker
        self.routes = RouteTable(
            Route.build(function.logical_id, event)
            for function, event in invoker.template.events_of(ApiEvent)
        )
        hooks = template_authorizers(invoker) if authorizer is None else authorizer
        if open_local_mode:
            hooks = open_local(hooks if isinstance(hooks, Mapping) else {
                name: hooks for name in invoker.template.authorizers})
        self.open_local_mode = open_local_mode
        self.settings = ProxySettings(
            invoker=invoker,
            routes=self.routes,
            authorizer=hooks,
            max_body_bytes=max_body_bytes,
            binary_media_types=tuple(binary_media_types),
            wall_clock=wall_clock,
            uploads=UploadEndpoint(_store_of(object_store), max_upload_bytes,
                                   None if object_store is not None else handlers_analyses),
            rate_limiter=rate_limiter,
        )
        self.limits = limits or ServerLimits.resolve(keep_alive_seconds=keep_alive_seconds,
                                                     backlog=backlog)
        self._host, self._port = host, port
        self._http: HttpServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def _server(self) -> HttpServer:
        """The HTTP server, made (its socket bound) on first use: the platform of a CLI review,
        which serves no HTTP, neither binds a port nor imports uvicorn (about 0.2 s)."""
        if self._http is None:
            from coderev.runtime.gateway.http_server import HttpServer

            self._http = HttpServer(self._host, self._port, self.settings, self.limits)
        return self._http

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def in_flight(self) -> int:
        """Requests being served right now."""
        return 0 if self._http is None else self._http.in_flight.count

    @property
    def stopping(self) -> bool:
        return self._http is not None and self._http.stopping.is_set()

    def start(self) -> Gateway:
        """Serve in a background thread; returns at once (a port in use raises here)."""
        self.address  # noqa: B018 - binds the socket in the caller's thread
        self._thread = threading.Thread(target=self.serve_forever, name="coderev-gateway",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until `stop()` is called from another."""
        logger.info("gateway listening on %s with %d routes (backlog %d)", self.url,
                    len(self.routes), self.limits.backlog)
        self._server.serve_forever()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop accepting, close idle connections, wait for in-flight requests (True if all)."""
        if self._http is None:
            return True  # never served
        drained = self._http.stop(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        return drained

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _store_of(given: ObjectStore | None) -> Callable[[], ObjectStore]:
    """The store presigned uploads are written to: `given`, else the handlers' store, asked
    per request (the platform wires its notifying store into bootstrap when it starts)."""
    if given is not None:
        return lambda: given

    def handlers_store() -> ObjectStore:
        from coderev import bootstrap

        return bootstrap.object_store()

    return handlers_store

