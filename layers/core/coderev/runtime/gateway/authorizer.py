"""The gateway's authorizer hook: what it is given and what it may answer.

The hook stands where API Gateway calls a Lambda authorizer: it gets the caller's
token and the proxy event, and returns `Allow` (principal and context, which land in
`requestContext.authorizer`) or `Deny` (401 Unauthorized, or 403 for a Deny policy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Allow", "AuthorizerHook", "AuthorizerRequest", "Deny"]


@dataclass(frozen=True)
class AuthorizerRequest:
    """What an authorizer sees: its name, the caller's token and the proxy event."""

    authorizer: str
    token: str | None
    method_arn: str
    event: Mapping[str, Any]


@dataclass(frozen=True)
class Allow:
    """The caller may proceed; `context` lands in requestContext.authorizer."""

    principal_id: str
    context: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Deny:
    """API Gateway's answers: 401 Unauthorized, or 403 for an explicit Deny policy."""

    status: int = 403

    @property
    def message(self) -> str:
        if self.status == 401:
            return "Unauthorized"
        return "User is not authorized to access this resource"


AuthorizerHook = Callable[[AuthorizerRequest], Allow | Deny]
