"""The caller of a request: `Principal`, as the authorizer hands it to every handler.

API Gateway passes a Lambda authorizer's `context` to the integration in
`event.requestContext.authorizer`, and only strings, numbers and booleans survive: the
sets are written comma-separated (`to_context`) and read back (`from_context`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coderev.auth.errors import AuthenticationError

__all__ = ["KINDS", "LOCAL_ADMIN", "ROLES", "Principal"]

ROLES = ("admin", "approver", "maintainer", "reviewer", "viewer")
"""Membership roles, most powerful first. `approver` decides promotions of review
configurations (the promotion policy) and otherwise reads like a viewer; it ranks right below
admin so that only an admin can create an approver's API key (a key's role cannot exceed its
creator's, by this order)."""
KINDS = ("user", "api_key", "local")


@dataclass(frozen=True)
class Principal:
    """Who calls: `subject` (a user id, an API key id, or "local"), the `tenant` (the
    organization id) the call acts in, the caller's `roles` there, the `kind` of credential,
    an API key's `scopes` (empty for users: their roles decide), and the credential's id
    (the access token's `jti` or the API key's id)."""

    subject: str
    tenant: str
    roles: frozenset[str]
    kind: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown principal kind {self.kind!r}")
        if not self.subject or not self.tenant:
            raise ValueError("a principal has a subject and a tenant")

    def to_context(self) -> dict[str, str]:
        """The API Gateway authorizer context: every value a string. An API key's scopes go
        under `apiScopes`: API Gateway's own `scopes` member (a JWT authorizer's OAuth scopes)
        is a list in the event models that parse it (Powertools'), so a string there fails."""
        return {
            "principalId": self.subject,
            "subject": self.subject,
            "tenant": self.tenant,
            "roles": ",".join(sorted(self.roles)),
            "kind": self.kind,
            "apiScopes": ",".join(sorted(self.scopes)),
            "tokenId": self.token_id or "",
        }

    @classmethod
    def from_context(cls, ctx: Mapping[str, Any]) -> Principal:
        """The Principal in `requestContext.authorizer`; AuthenticationError when there is
        none (a route reached without the authorizer) or it is malformed."""
        if not isinstance(ctx, Mapping):
            raise AuthenticationError("no authenticated principal on the request")
        subject = ctx.get("subject") or ctx.get("principalId")
        tenant = ctx.get("tenant")
        kind = ctx.get("kind") or "user"
        if not isinstance(subject, str) or not isinstance(tenant, str) or not subject or not tenant:
            raise AuthenticationError("no authenticated principal on the request")
        token_id = ctx.get("tokenId")
        try:
            return cls(
                subject=subject, tenant=tenant, roles=_names(ctx.get("roles")), kind=str(kind),
                scopes=_names(ctx.get("apiScopes", ctx.get("scopes"))),
                token_id=str(token_id) if token_id not in (None, "") else None,
            )  # fmt: skip
        except ValueError as exc:
            raise AuthenticationError("malformed principal on the request") from exc

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)


def _names(value: object) -> frozenset[str]:
    """A comma-separated string (the context's form) or a list (a test's) as a set."""
    items: Iterable[object]
    if value is None:
        return frozenset()
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, Iterable):
        items = value
    else:
        return frozenset()
    return frozenset(str(item).strip() for item in items if str(item).strip())


LOCAL_ADMIN = Principal("local", "default", frozenset({"admin"}), "local")
"""The embedded CLI (`coderev review` without a server): an admin of the default tenant."""
