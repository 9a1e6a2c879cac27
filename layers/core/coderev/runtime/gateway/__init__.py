"""The local HTTP gateway: API Gateway's REST proxy integration in front of the invoker.

Owns HTTP: the route table built from the template's Api events (`routes`), the proxy event
(`proxy_event`) and the mapping of the handler's response back to HTTP (`proxy`), the server
and its graceful shutdown (`server`), authorizers (`authorizer`, `lambda_authorizer`, and
`open_local` for a token-less local admin), the rate limit per principal (`rate_limit`) and
the embedded object store's presigned uploads (`uploads`). `api.Gateway` puts them together.
No event source imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coderev.runtime.gateway.open_local import OPEN_LOCAL_NOTICE
from coderev.runtime.gateway.rate_limit import RateLimiter

if TYPE_CHECKING:
    from coderev.runtime.gateway.api import (
        Allow,
        AuthorizerHook,
        AuthorizerRequest,
        Deny,
        Gateway,
        LambdaAuthorizer,
        template_authorizers,
    )

_API = frozenset({"Allow", "AuthorizerHook", "AuthorizerRequest", "Deny", "Gateway",
                  "LambdaAuthorizer", "template_authorizers"})  # fmt: skip


def __getattr__(name: str) -> Any:
    """The gateway itself (`api`, with the server and authorizers: 0.11 s of imports) is
    imported when one of its names is first asked for: `coderev review` runs the platform
    without HTTP, and its start needs only the rate limiter and the open-local notice."""
    if name in _API:
        from coderev.runtime.gateway import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "OPEN_LOCAL_NOTICE",
    "Allow",
    "AuthorizerHook",
    "AuthorizerRequest",
    "Deny",
    "Gateway",
    "LambdaAuthorizer",
    "RateLimiter",
    "template_authorizers",
]
