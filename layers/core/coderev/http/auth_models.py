"""Request and response models of the auth API (its OpenAPI document comes from them).

Passwords, refresh tokens and API keys going in are `SecretStr` (OpenAPI: `format: password`,
`writeOnly`), never echoed in a validation message (`hide_input_in_errors`). Tokens come out
only in `TokenView` (login, register, refresh) and an API key's text only once, in
`ApiKeyCreated`. Every model is `defer_build=True` (see coderev.http.models).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from coderev.http.models import ErrorView

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.auth.model import ApiKeyRecord, Membership, TokenPair
    from coderev.auth.service import Identity

__all__ = [
    "ApiKeyCreate",
    "ApiKeyCreated",
    "ApiKeyList",
    "ApiKeyView",
    "Login",
    "LogoutRequest",
    "MemberCreate",
    "MemberList",
    "MemberView",
    "RefreshRequest",
    "Register",
    "TokenView",
    "WhoamiView",
]

_REQUEST = ConfigDict(extra="forbid", defer_build=True, hide_input_in_errors=True)
_VIEW = ConfigDict(frozen=True, defer_build=True)
Role = Literal["admin", "maintainer", "reviewer", "viewer"]
Scope = Literal[
    "analyses:read", "analyses:write", "projects:read", "projects:write", "reports:read"
]
_EMAIL = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PASSWORD = Field(min_length=12, max_length=1024, description="12 to 1024 characters")


class Register(BaseModel):
    """A new organization and its first user, who becomes its admin."""

    model_config = _REQUEST

    email: str = _EMAIL
    password: SecretStr = _PASSWORD
    organization: str = Field(
        min_length=1, max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$"
    )


class Login(BaseModel):
    model_config = _REQUEST

    email: str = Field(min_length=1, max_length=254)
    password: SecretStr = Field(min_length=1, max_length=1024)
    organization: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="its id or name; default: the user's first",
    )


class RefreshRequest(BaseModel):
    model_config = _REQUEST

    refresh_token: SecretStr = Field(min_length=1, max_length=256)


class LogoutRequest(BaseModel):
    model_config = _REQUEST

    refresh_token: SecretStr | None = Field(default=None, min_length=1, max_length=256)


class TokenView(BaseModel):
    model_config = _VIEW

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 (the scheme, not a secret)
    expires_in: int = Field(description="seconds the access token is valid")
    refresh_token: str
    refresh_expires_at: datetime
    user_id: str
    tenant: str
    roles: list[str]

    @classmethod
    def of(cls, pair: TokenPair) -> TokenView:
        return cls(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
            refresh_expires_at=pair.refresh_expires_at,
            user_id=pair.user_id,
            tenant=pair.tenant,
            roles=sorted(pair.roles),
        )


class WhoamiView(BaseModel):
    model_config = _VIEW

    subject: str
    kind: Literal["user", "api_key", "local"]
    tenant: str
    organization: str | None
    email: str | None
    roles: list[str]
    scopes: list[str]

    @classmethod
    def of(cls, identity: Identity) -> WhoamiView:
        p = identity.principal
        return cls(
            subject=p.subject,
            kind=p.kind,  # type: ignore[arg-type]
            tenant=p.tenant,
            organization=identity.organization,
            email=identity.email,
            roles=sorted(p.roles),
            scopes=sorted(p.scopes),
        )


class MemberCreate(BaseModel):
    model_config = _REQUEST

    email: str = _EMAIL
    role: Role
    password: SecretStr | None = Field(
        default=None, min_length=12, max_length=1024, description="required when the user is new"
    )


class MemberView(BaseModel):
    model_config = _VIEW

    user_id: str
    email: str
    role: str
    since: datetime

    @classmethod
    def of(cls, membership: Membership, email: str) -> MemberView:
        return cls(
            user_id=membership.user_id,
            email=email,
            role=membership.role,
            since=membership.created_at,
        )


class MemberList(BaseModel):
    model_config = _VIEW

    members: list[MemberView]


class ApiKeyCreate(BaseModel):
    model_config = _REQUEST

    name: str = Field(min_length=1, max_length=64)
    scopes: list[Scope] = Field(min_length=1, max_length=5)
    role: Role = Field(default="reviewer", description="at most the creator's role")
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class ApiKeyView(BaseModel):
    """An API key without its secret."""

    model_config = _VIEW

    id: str
    name: str
    role: str
    scopes: list[str]
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyView:
        return cls(
            id=record.id,
            name=record.name,
            role=record.role,
            scopes=sorted(record.scopes),
            created_by=record.created_by,
            created_at=record.created_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
        )


class ApiKeyCreated(ApiKeyView):
    key: str = Field(description="the key: shown this once, stored only as a hash")


class ApiKeyList(BaseModel):
    model_config = _VIEW

    api_keys: list[ApiKeyView]


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


def _ok(model: type[BaseModel], description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


_COMMON: dict[int, OpenAPIResponse] = {
    422: _error("the body is invalid: the message names the field, never the value"),
    500: _error("the server failed on this request (logged with the request id)"),
    503: _error("the auth database or the revocation store is unavailable"),
}
_AUTHENTICATED: dict[int, OpenAPIResponse] = {
    401: _error("no, an invalid, an expired or a revoked token"),
    403: _error("the caller's role or credential does not allow this"),
    **_COMMON,
}
TOKEN_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _ok(TokenView, "an access token and a refresh token"),
    401: _error(
        "invalid credentials, or a refresh token that is invalid, expired, revoked "
        "or replayed (a replay revokes its whole session)"
    ),
    **_COMMON,
}
REGISTER_RESPONSES: dict[int, OpenAPIResponse] = {
    201: _ok(TokenView, "the organization, its admin, and their tokens"),
    403: _error("registration is closed (CODEREV_OPEN_REGISTRATION=false)"),
    409: _error("the email or the organization name is already registered"),
    **_COMMON,
}
LOGOUT_RESPONSES: dict[int, OpenAPIResponse] = {
    204: {"description": "logged out"},
    **_AUTHENTICATED,
}
WHOAMI_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _ok(WhoamiView, "the caller"),
    **_AUTHENTICATED,
}
MEMBERS_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _ok(MemberList, "the members"),
    **_AUTHENTICATED,
}
MEMBER_CREATE_RESPONSES: dict[int, OpenAPIResponse] = {
    201: _ok(MemberView, "added"),
    409: _error("already a member"),
    **_AUTHENTICATED,
}
KEY_CREATE_RESPONSES: dict[int, OpenAPIResponse] = {
    201: _ok(ApiKeyCreated, "the key, shown this once"),
    **_AUTHENTICATED,
}
KEY_LIST_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _ok(ApiKeyList, "the keys, no secret"),
    **_AUTHENTICATED,
}
KEY_REVOKE_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _ok(ApiKeyView, "revoked"),
    404: _error("no such key in this organization"),
    **_AUTHENTICATED,
}
