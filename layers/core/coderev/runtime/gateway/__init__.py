"""The local HTTP gateway: API Gateway's REST proxy integration in front of the invoker.

Owns HTTP: the route table built from the template's Api events (`routes`), the proxy event
(`proxy_event`) and the mapping of the handler's response back to HTTP (`proxy`), the server
and its graceful shutdown (`server`), authorizers (`authorizer`, `lambda_authorizer`, and
`open_local` for a token-less local admin), the rate limit per principal (`rate_limit`) and
the embedded object store's presigned uploads (`uploads`). `api.Gateway` puts them together.
No event source imports it.
"""

from coderev.runtime.gateway.api import (
    Allow,
    AuthorizerHook,
    AuthorizerRequest,
    Deny,
    Gateway,
    LambdaAuthorizer,
    template_authorizers,
)
from coderev.runtime.gateway.open_local import OPEN_LOCAL_NOTICE
from coderev.runtime.gateway.rate_limit import RateLimiter

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
