"""Open local mode: on a `coderev serve` bound to loopback without JWT_SECRET_KEY, a request
to a protected route that carries no Authorization header is the local admin's
(`coderev.auth.principal.LOCAL_ADMIN`: tenant "default", role admin), as the embedded CLI is;
a request with a token still goes through the template's authorizer. The platform says so
when it starts. With JWT_SECRET_KEY set (or on any other address) every protected route
needs a token, exactly as on API Gateway.
"""

from __future__ import annotations

from collections.abc import Mapping

from coderev.runtime.gateway.authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny

__all__ = ["OPEN_LOCAL_NOTICE", "OpenLocalAuthorizer", "open_local"]

OPEN_LOCAL_NOTICE = (
    "open local mode: JWT_SECRET_KEY is not set, so requests without a token act as the local "
    "admin (tenant 'default'); set JWT_SECRET_KEY to require a token on every protected route"
)


class OpenLocalAuthorizer:
    """A hook admitting token-less requests as `context`'s principal, else asking `hook`."""

    def __init__(self, hook: AuthorizerHook, context: Mapping[str, str]):
        self.hook = hook
        self.context = dict(context)
        self.principal_id = self.context.get("principalId", "local")

    def __call__(self, request: AuthorizerRequest) -> Allow | Deny:
        if not request.token:
            return Allow(self.principal_id, self.context)
        return self.hook(request)


def open_local(hooks: Mapping[str, AuthorizerHook]) -> dict[str, AuthorizerHook]:
    """Each of `hooks` admitting token-less requests as the local admin."""
    from coderev.auth.principal import LOCAL_ADMIN

    context = LOCAL_ADMIN.to_context()
    return {name: OpenLocalAuthorizer(hook, context) for name, hook in hooks.items()}
