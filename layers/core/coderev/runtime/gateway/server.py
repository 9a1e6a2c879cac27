"""What the gateway's HTTP server needs: the proxy's settings and the server's limits.

`ProxySettings` is what answering a request needs (routes, invoker, authorizer, payload
limits, clock); `ServerLimits` is what keeps the socket side safe (listen backlog,
request-line and header size, timeouts, worker threads), each an argument, else a
`CODEREV_GATEWAY_*` environment variable, else the default (resolved in `ServerLimits.resolve`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from email.utils import formatdate
from fnmatch import fnmatch
from typing import Any

from coderev.runtime.gateway.authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny
from coderev.runtime.gateway.rate_limit import RateLimiter
from coderev.runtime.gateway.routes import RouteTable
from coderev.runtime.gateway.uploads import UploadEndpoint
from coderev.runtime.invoker import LocalInvoker

__all__ = ["API_GATEWAY_PAYLOAD_LIMIT", "DEFAULT_BINARY_MEDIA_TYPES", "DEFAULT_UPLOAD_LIMIT",
           "ProxySettings", "ServerLimits"]

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
    wall_clock: Callable[[], float] = time.time
    uploads: UploadEndpoint | None = None  # PUT /_objects/...: presigned uploads
    rate_limiter: RateLimiter | None = None  # per principal (client address on public routes)

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


@dataclass(frozen=True)
class ServerLimits:
    """The HTTP server's limits. Defaults follow what API Gateway and common servers do."""

    # Pending connections the kernel queues while every worker is busy; http.server's 5
    # dropped ~9% of 140 concurrent uploads (issue 9). The kernel caps it at somaxconn.
    backlog: int = 1024
    # Request line and headers together (API Gateway allows 10 KiB, S3 8 KiB; a JWT and the
    # signed x-amz-meta-* headers fit well inside). Past it: 400 and the connection closes.
    max_header_bytes: int = 16 * 1024
    max_request_line_bytes: int = 8 * 1024  # past it: 414
    header_timeout: float = 10.0  # from connecting (or the first byte) to the full headers
    body_timeout: float = 30.0  # the longest wait for the next piece of a body: 408
    keep_alive_seconds: float = 30.0  # an idle keep-alive connection is closed after it
    worker_threads: int = 128  # handlers and uploads run in these (they block)

    @classmethod
    def resolve(cls, environ: Mapping[str, str] | None = None,
                **given: float | None) -> ServerLimits:
        """Argument beats `CODEREV_GATEWAY_<FIELD>` beats the default."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in fields(cls):
            argument = given.pop(spec.name, None)
            raw = environ.get(f"CODEREV_GATEWAY_{spec.name.upper()}")
            kind = int if isinstance(spec.default, int) else float
            if argument is not None:
                values[spec.name] = kind(argument)
            elif raw:
                try:
                    values[spec.name] = kind(raw)
                except ValueError:
                    raise ValueError(f"CODEREV_GATEWAY_{spec.name.upper()}={raw!r} is not a "
                                     f"number") from None
        if given:
            raise TypeError(f"unknown server limits: {', '.join(sorted(given))}")
        limits = cls(**values)
        for spec in fields(cls):
            if getattr(limits, spec.name) <= 0:
                raise ValueError(f"server limit {spec.name} must be positive")
        return limits
