"""API keys for machines (a CI pipeline uploading archives): created, shown once, stored
hashed, scoped, revocable.

A key reads `crk_<id>_<secret>`: the id (32 hex) finds the row, the secret (32 random bytes)
is compared with its stored SHA-256 in constant time (a high-entropy secret needs no slow
hash, and the authorizer checks a key on every request). The key's Principal has kind
`api_key`, the organization as tenant, the key's role (at most its creator's) and its scopes
(`coderev.auth.model.API_KEY_SCOPES`). A revoked key is refused at once: its row says so,
and the revocation store (`key:<id>`) lets the authorizer refuse it without the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from coderev.auth.errors import InvalidTokenError, PermissionDeniedError, TokenRevokedError
from coderev.auth.model import API_KEY_SCOPES, ApiKeyRecord
from coderev.auth.principal import ROLES, Principal
from coderev.domain.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from coderev.auth.sql_repository import SqlAuthRepository
    from coderev.ports import RevocationStore

__all__ = ["ApiKeyNotFoundError", "ApiKeys"]

PREFIX = "crk_"
_FOREVER = timedelta(days=3650)


class ApiKeyNotFoundError(NotFoundError):
    def __init__(self, key_id: str) -> None:
        super().__init__(f"no API key {key_id!r} in this organization")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeys:
    """Create, list, revoke and verify API keys."""

    def __init__(self, repository: SqlAuthRepository, revocations: RevocationStore) -> None:
        self.repository = repository
        self.revocations = revocations

    def create(
        self,
        creator: Principal,
        name: str,
        scopes: frozenset[str],
        *,
        role: str = "reviewer",
        expires_days: int | None = None,
    ) -> tuple[ApiKeyRecord, str]:
        """A new key of the creator's organization and its text, which is never shown again."""
        if creator.kind != "user" or not creator.has_role("admin", "maintainer"):
            raise PermissionDeniedError("only an admin or a maintainer creates API keys")
        if role not in ROLES or ROLES.index(role) < min(ROLES.index(r) for r in creator.roles):
            raise PermissionDeniedError("an API key's role cannot exceed its creator's")
        unknown = set(scopes) - set(API_KEY_SCOPES)
        if unknown or not scopes:
            raise InputError(f"scopes are one or more of {', '.join(API_KEY_SCOPES)}")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise InputError("an API key's name has 1 to 64 characters")
        now = datetime.now(UTC)
        key_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
        expires = now + timedelta(days=expires_days) if expires_days else None
        record = ApiKeyRecord(
            key_id, creator.tenant, creator.subject, name.strip(), _digest(secret), role,
            frozenset(scopes), now, expires, None,
        )  # fmt: skip
        self.repository.create_api_key(record)
        return record, f"{PREFIX}{key_id}_{secret}"

    def list(self, principal: Principal) -> list[ApiKeyRecord]:
        if principal.kind != "user" or not principal.has_role("admin", "maintainer"):
            raise PermissionDeniedError("only an admin or a maintainer lists API keys")
        return self.repository.api_keys(principal.tenant)

    def revoke(self, principal: Principal, key_id: str) -> ApiKeyRecord:
        if principal.kind != "user" or not principal.has_role("admin", "maintainer"):
            raise PermissionDeniedError("only an admin or a maintainer revokes API keys")
        record = self.repository.revoke_api_key(principal.tenant, key_id)
        if record is None:
            raise ApiKeyNotFoundError(key_id)
        until = record.expires_at or datetime.now(UTC) + _FOREVER
        self.revocations.revoke(f"key:{key_id}", until)
        return record

    def verify(self, key: str) -> Principal:
        """The Principal of a valid key; InvalidTokenError / TokenRevokedError otherwise."""
        key_id, secret = _parse(key)
        if self.revocations.any_revoked((f"key:{key_id}",)):
            raise TokenRevokedError("the API key has been revoked")
        record = self.repository.api_key(key_id)
        if record is None or not hmac.compare_digest(record.secret_hash, _digest(secret)):
            raise InvalidTokenError("the API key is not valid")
        if record.revoked_at is not None:
            raise TokenRevokedError("the API key has been revoked")
        if record.expires_at is not None and record.expires_at <= datetime.now(UTC):
            raise InvalidTokenError("the API key has expired")
        return Principal(record.id, record.organization_id, frozenset({record.role}), "api_key",
                         record.scopes, record.id)  # fmt: skip


def _parse(key: str) -> tuple[str, str]:
    body = key[len(PREFIX) :] if key.startswith(PREFIX) else ""
    key_id, sep, secret = body.partition("_")
    if not sep or len(key_id) != 32 or not secret or len(secret) > 128:
        raise InvalidTokenError("the API key is malformed")
    try:
        int(key_id, 16)
    except ValueError:
        raise InvalidTokenError("the API key is malformed") from None
    return key_id, secret
