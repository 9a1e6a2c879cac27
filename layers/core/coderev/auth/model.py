"""The auth room's records: frozen dataclasses, no secret in any repr."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "API_KEY_SCOPES",
    "ApiKeyRecord",
    "Membership",
    "RefreshRecord",
    "TokenPair",
    "UserRecord",
]

API_KEY_SCOPES = (
    "analyses:read", "analyses:write", "projects:read", "projects:write", "reports:read",
)  # fmt: skip
"""What an API key may be allowed: the policy engine reads them from the Principal."""


@dataclass(frozen=True)
class UserRecord:
    id: str
    email: str
    password_hash: str = field(repr=False)
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class Membership:
    organization_id: str
    organization: str
    user_id: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class RefreshRecord:
    """A refresh token's row with its family's state."""

    id: str
    family_id: str
    secret_hash: str = field(repr=False)
    user_id: str
    organization_id: str
    expires_at: datetime
    used_at: datetime | None
    family_revoked_at: datetime | None
    family_expires_at: datetime


@dataclass(frozen=True)
class ApiKeyRecord:
    id: str
    organization_id: str
    created_by: str
    name: str
    secret_hash: str = field(repr=False)
    role: str
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TokenPair:
    """What login, register and refresh answer. The tokens never appear in a repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_expires_at: datetime
    user_id: str
    tenant: str
    roles: frozenset[str]
