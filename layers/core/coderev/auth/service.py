"""The auth use cases: register, login, refresh (rotation, reuse detection), logout, whoami,
members.

Refresh tokens are opaque: `crr_<id>.<secret>`, the secret (32 random bytes) stored as its
SHA-256 (a high-entropy secret needs no slow hash; the lookup is by id, the comparison in
constant time). Each login starts a family (a session); each refresh spends the presented
token and issues its successor in one compare-and-set. Presenting a spent token again is a
replay — someone holds a copy — so the whole family is revoked, in the database and in the
revocation store (`sid:<family>`), which ends the access tokens of that session at once.
Refresh re-reads the user's role in the organization, so a role change takes effect within
one access-token lifetime, and a removed member cannot refresh.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coderev.auth.errors import (
    InvalidCredentialsError,
    InvalidFieldError,
    InvalidTokenError,
    PermissionDeniedError,
    RefreshReuseError,
    TokenRevokedError,
)
from coderev.auth.model import Membership, TokenPair
from coderev.auth.passwords import (
    check_password_rules,
    hash_password,
    needs_rehash,
    verify_password,
)
from coderev.auth.principal import ROLES, Principal
from coderev.domain.errors import InputError

if TYPE_CHECKING:
    from coderev.auth.sql_repository import SqlAuthRepository
    from coderev.auth.tokens import TokenPolicy
    from coderev.config import Settings
    from coderev.ports import EventBus, RevocationStore

__all__ = ["REFRESH_PREFIX", "AuthService", "Identity", "normalize_email"]

REFRESH_PREFIX = "crr_"
EVENT_SOURCE = "coderev/auth"
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")
_ORG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$")


def normalize_email(email: str) -> str:
    email = email.strip().lower() if isinstance(email, str) else ""
    if not _EMAIL.match(email):
        raise InvalidFieldError("not an email address")
    return email


def _org_name(name: str) -> str:
    name = name.strip() if isinstance(name, str) else ""
    if not _ORG.match(name):
        raise InvalidFieldError("an organization name has 1 to 128 letters, digits, spaces, . _ -")
    return name


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Identity:
    """whoami's answer."""

    principal: Principal
    email: str | None
    organization: str | None


class AuthService:
    """The use cases over the repository, the revocation store and the token policy."""

    def __init__(
        self,
        repository: SqlAuthRepository,
        revocations: RevocationStore,
        policy: TokenPolicy,
        *,
        settings: Settings,
        events: EventBus | None = None,
    ) -> None:
        self.repository = repository
        self.revocations = revocations
        self.policy = policy
        self.refresh_ttl = timedelta(days=settings.refresh_token_expire_days)
        self.open_registration = settings.open_registration
        self._events = events

    def __repr__(self) -> str:
        return f"AuthService({self.policy!r})"

    # --- accounts --------------------------------------------------------------------------

    def register(self, email: str, password: str, organization: str) -> TokenPair:
        """A new organization whose first user, `email`, is its admin; logged in."""
        email, name = normalize_email(email), _org_name(organization)
        check_password_rules(password)
        if not self.open_registration and self.repository.organization_count() > 0:
            raise PermissionDeniedError(
                "registration is closed: an admin adds users (POST /auth/members)"
            )
        membership = self.repository.create_organization(name, email, hash_password(password))
        self._publish("coderev.organization.created", membership.user_id,
                      membership.organization_id, {"organization": name})  # fmt: skip
        return self._start_session(membership)

    def add_member(
        self, admin: Principal, email: str, role: str, password: str | None = None
    ) -> tuple[Membership, str]:
        """Add `email` to the admin's organization with `role` (a new user needs a password)."""
        if admin.kind == "api_key" or not admin.has_role("admin"):
            raise PermissionDeniedError("only an organization's admin adds members")
        if role not in ROLES:
            raise InvalidFieldError(f"role must be one of {', '.join(ROLES)}")
        email = normalize_email(email)
        hashed = hash_password(password) if password is not None else None
        membership = self.repository.add_member(admin.tenant, email, hashed, role)
        self._publish("coderev.membership.created", admin.subject, admin.tenant,
                      {"user_id": membership.user_id, "role": role})  # fmt: skip
        return membership, email

    def members(self, principal: Principal) -> list[tuple[Membership, str]]:
        if principal.kind == "api_key":
            raise PermissionDeniedError("API keys cannot list members")
        return self.repository.members(principal.tenant)

    # --- sessions --------------------------------------------------------------------------

    def login(self, email: str, password: str, organization: str | None = None) -> TokenPair:
        """Tokens for `email` in `organization` (its id or name; default: the user's first)."""
        try:
            email = normalize_email(email)
        except InputError:
            verify_password(None, password)  # the same work as a wrong password
            raise InvalidCredentialsError() from None
        user = self.repository.user_by_email(email)
        if not verify_password(user.password_hash if user else None, password) or user is None:
            raise InvalidCredentialsError()
        if user.disabled:
            raise InvalidCredentialsError()
        if needs_rehash(user.password_hash):
            self.repository.set_password_hash(user.id, hash_password(password))
        chosen = [m for m in self.repository.memberships(user.id)
                  if organization in (None, m.organization_id, m.organization)]  # fmt: skip
        if not chosen:
            raise InvalidCredentialsError()
        return self._start_session(chosen[0])

    def refresh(self, refresh_token: str) -> TokenPair:
        """Spend `refresh_token` for a new pair. A replayed (already rotated) token revokes
        its whole family: RefreshReuseError."""
        token_id, secret = _parse_refresh(refresh_token)
        record = self.repository.refresh_token(token_id)
        if record is None or not hmac.compare_digest(record.secret_hash, _digest(secret)):
            raise InvalidTokenError("the refresh token is not valid")
        if record.family_revoked_at is not None:
            raise TokenRevokedError("the refresh token's session has been revoked")
        now = datetime.now(UTC)
        if record.expires_at <= now:
            raise InvalidTokenError("the refresh token has expired")
        if record.used_at is not None:
            self._revoke_family(record.family_id, "reuse", record.user_id, record.organization_id)
            raise RefreshReuseError("the refresh token was already used: its session is revoked")
        membership = self.repository.membership(record.organization_id, record.user_id)
        user = self.repository.user(record.user_id)
        if membership is None or user is None or user.disabled:
            self._revoke_family(record.family_id, "membership", record.user_id,
                                record.organization_id)  # fmt: skip
            raise TokenRevokedError("the user is no longer a member of that organization")
        new_id, new_secret = secrets.token_hex(16), secrets.token_urlsafe(32)
        expires = now + self.refresh_ttl
        if not self.repository.rotate(token_id, record.family_id, new_id, _digest(new_secret),
                                      expires):  # fmt: skip
            # a concurrent refresh spent it first, or the family was just revoked: a replay
            self._revoke_family(record.family_id, "reuse", record.user_id, record.organization_id)
            raise RefreshReuseError("the refresh token was already used: its session is revoked")
        return self._pair(membership, record.family_id, f"{REFRESH_PREFIX}{new_id}.{new_secret}",
                          expires)  # fmt: skip

    def logout(self, access_token: str, refresh_token: str | None = None) -> None:
        """End the session of `access_token` (its family and every access token of it)."""
        access = self.policy.verify(access_token)
        if self.revocations.any_revoked((f"jti:{access.principal.token_id}",
                                         f"sid:{access.session_id}")):  # fmt: skip
            raise TokenRevokedError("the access token has been revoked")
        self.revocations.revoke(f"jti:{access.principal.token_id}", access.expires_at)
        owner = self.repository.family_owner(access.session_id)
        if owner == (access.principal.subject, access.principal.tenant):
            self._revoke_family(access.session_id, "logout", *owner)
        if refresh_token:  # a refresh token of another session of the same user: that too
            try:
                token_id, _ = _parse_refresh(refresh_token)
            except InvalidTokenError:
                return
            record = self.repository.refresh_token(token_id)
            if record and record.user_id == access.principal.subject:
                self._revoke_family(record.family_id, "logout", record.user_id,
                                    record.organization_id)  # fmt: skip

    def whoami(self, principal: Principal) -> Identity:
        email = organization = None
        if principal.kind == "user":
            user = self.repository.user(principal.subject)
            email = user.email if user else None
            membership = self.repository.membership(principal.tenant, principal.subject)
            organization = membership.organization if membership else None
        return Identity(principal, email, organization)

    # --- internals ---------------------------------------------------------------------------

    def _start_session(self, membership: Membership) -> TokenPair:
        token_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + self.refresh_ttl
        family = self.repository.start_family(membership.user_id, membership.organization_id,
                                              token_id, _digest(secret), expires)  # fmt: skip
        self._publish("coderev.session.started", membership.user_id, membership.organization_id,
                      {"session": family})  # fmt: skip
        return self._pair(membership, family, f"{REFRESH_PREFIX}{token_id}.{secret}", expires)

    def _pair(self, membership: Membership, family: str, refresh: str,
              expires: datetime) -> TokenPair:  # fmt: skip
        roles = frozenset({membership.role})
        access = self.policy.issue(membership.user_id, membership.organization_id, roles, family)
        return TokenPair(access.token, refresh, int(self.policy.ttl.total_seconds()), expires,
                         membership.user_id, membership.organization_id, roles)  # fmt: skip

    def _revoke_family(self, family: str, reason: str, user_id: str, tenant: str) -> None:
        until = self.repository.revoke_family(family, reason)
        if until is not None:
            # access tokens of the session live at most one TTL after its last refresh
            self.revocations.revoke(f"sid:{family}", max(until, datetime.now(UTC)
                                                         + self.policy.ttl))  # fmt: skip
        self._publish("coderev.session.revoked", user_id, tenant,
                      {"session": family, "reason": reason})  # fmt: skip

    def _publish(self, event_type: str, actor: str, tenant: str, data: dict[str, Any]) -> None:
        if self._events is None:
            return
        from coderev.domain.events import cloud_event

        payload = {"actor": actor, "tenant": tenant, **data}
        self._events.publish(event_type, cloud_event(event_type, EVENT_SOURCE, payload,
                                                     subject=actor), key=tenant)  # fmt: skip


def _parse_refresh(token: str) -> tuple[str, str]:
    if not isinstance(token, str) or not token.startswith(REFRESH_PREFIX) or len(token) > 256:
        raise InvalidTokenError("the refresh token is malformed")
    token_id, dot, secret = token[len(REFRESH_PREFIX) :].partition(".")
    if not dot or len(token_id) != 32 or not secret or not token_id.isalnum():
        raise InvalidTokenError("the refresh token is malformed")
    return token_id, secret
