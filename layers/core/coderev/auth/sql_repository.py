"""The auth tables on SQLite or PostgreSQL (SQLAlchemy Core).

Every write that must be all-or-nothing is one transaction: an organization with its first
admin; a refresh token's rotation, a compare-and-set on `used_at IS NULL` so that of two
concurrent rotations of one token exactly one wins (the other is a replay); a family's
revocation. Uniqueness (email, organization name) is the database's: an IntegrityError
becomes UserExistsError.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from coderev.auth.errors import AuthStoreError, UserExistsError, WeakPasswordError
from coderev.auth.model import ApiKeyRecord, Membership, RefreshRecord, UserRecord
from coderev.auth.tables import (
    LOGICAL_SCHEMA,
    api_keys,
    memberships,
    organizations,
    refresh_families,
    refresh_tokens,
    users,
)
from coderev.sql import SqlRepository, read_time

__all__ = ["SqlAuthRepository", "new_id"]

T = TypeVar("T")


def new_id() -> str:
    return uuid.uuid4().hex


class SqlAuthRepository(SqlRepository):
    """Organizations, users, memberships, refresh-token families and API keys."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = AuthStoreError
    TIMES_OF = "auth"

    def _tx(self, work: Callable[[sa.Connection], T]) -> T:
        try:
            with self._engine.begin() as conn:
                return work(conn)
        except IntegrityError as exc:
            raise UserExistsError("that email or organization is already registered") from exc
        except SQLAlchemyError as exc:
            raise AuthStoreError(f"the auth database failed: {type(exc).__name__}") from exc

    # --- organizations, users, memberships ---------------------------------------------------

    def organization_count(self) -> int:
        return self._tx(lambda c: int(c.execute(
            sa.select(sa.func.count()).select_from(organizations)).scalar_one()))  # fmt: skip

    def create_organization(self, name: str, email: str, password_hash: str) -> Membership:
        """A new organization and a new user, its admin, in one transaction."""
        now = self._now()
        org_id, user_id = new_id(), new_id()

        def work(conn: sa.Connection) -> None:
            conn.execute(organizations.insert().values(id=org_id, name=name, created_at=now))
            conn.execute(users.insert().values(id=user_id, email=email,
                                               password_hash=password_hash, disabled=False,
                                               created_at=now))  # fmt: skip
            conn.execute(memberships.insert().values(organization_id=org_id, user_id=user_id,
                                                     role="admin", created_at=now))  # fmt: skip

        self._tx(work)
        return Membership(org_id, name, user_id, "admin", now)

    def add_member(
        self, organization_id: str, email: str, password_hash: str | None, role: str
    ) -> Membership:
        """Add the user `email` (created with `password_hash` when new) to the organization."""
        now = self._now()

        def work(conn: sa.Connection) -> Membership:
            org = conn.execute(sa.select(organizations.c.name).where(
                organizations.c.id == organization_id)).scalar_one()  # fmt: skip
            user_id = conn.execute(sa.select(users.c.id).where(users.c.email == email)).scalar()
            if user_id is None:
                if password_hash is None:
                    raise _NeedsPassword
                user_id = new_id()
                conn.execute(users.insert().values(id=user_id, email=email,
                                                   password_hash=password_hash, disabled=False,
                                                   created_at=now))  # fmt: skip
            conn.execute(memberships.insert().values(organization_id=organization_id,
                                                     user_id=user_id, role=role,
                                                     created_at=now))  # fmt: skip
            return Membership(organization_id, org, user_id, role, now)

        return self._tx(work)

    def user_by_email(self, email: str) -> UserRecord | None:
        row = self._tx(lambda c: c.execute(sa.select(users).where(users.c.email == email)).first())
        return None if row is None else _user(row)

    def user(self, user_id: str) -> UserRecord | None:
        row = self._tx(lambda c: c.execute(sa.select(users).where(users.c.id == user_id)).first())
        return None if row is None else _user(row)

    def set_password_hash(self, user_id: str, password_hash: str) -> None:
        self._tx(lambda c: c.execute(users.update().where(users.c.id == user_id)
                                     .values(password_hash=password_hash)))  # fmt: skip

    def memberships(self, user_id: str) -> list[Membership]:
        query = (
            sa.select(memberships, organizations.c.name)
            .join(organizations, organizations.c.id == memberships.c.organization_id)
            .where(memberships.c.user_id == user_id)
            .order_by(memberships.c.created_at, memberships.c.organization_id)
        )
        rows = self._tx(lambda c: c.execute(query).all())
        return [Membership(r.organization_id, r.name, r.user_id, r.role, read_time(r.created_at))
                for r in rows]  # fmt: skip

    def membership(self, organization_id: str, user_id: str) -> Membership | None:
        found = [m for m in self.memberships(user_id) if m.organization_id == organization_id]
        return found[0] if found else None

    def members(self, organization_id: str) -> list[tuple[Membership, str]]:
        """The organization's memberships with each member's email."""
        query = (
            sa.select(memberships, organizations.c.name, users.c.email)
            .join(organizations, organizations.c.id == memberships.c.organization_id)
            .join(users, users.c.id == memberships.c.user_id)
            .where(memberships.c.organization_id == organization_id)
            .order_by(memberships.c.created_at, users.c.email)
        )
        rows = self._tx(lambda c: c.execute(query).all())
        return [(Membership(r.organization_id, r.name, r.user_id, r.role,
                            read_time(r.created_at)), r.email) for r in rows]  # fmt: skip

    # --- refresh-token families ----------------------------------------------------------

    def start_family(self, user_id: str, organization_id: str, token_id: str,
                     secret_hash: str, expires_at: datetime) -> str:  # fmt: skip
        """A new family (session) with its first refresh token; the family's id."""
        now, family = self._now(), new_id()
        expires = self._utc(expires_at)

        def work(conn: sa.Connection) -> None:
            conn.execute(refresh_families.insert().values(
                id=family, user_id=user_id, organization_id=organization_id, created_at=now,
                expires_at=expires))  # fmt: skip
            conn.execute(refresh_tokens.insert().values(
                id=token_id, family_id=family, secret_hash=secret_hash, issued_at=now,
                expires_at=expires))  # fmt: skip

        self._tx(work)
        return family

    def refresh_token(self, token_id: str) -> RefreshRecord | None:
        query = (
            sa.select(refresh_tokens, refresh_families.c.user_id,
                      refresh_families.c.organization_id,
                      refresh_families.c.revoked_at.label("family_revoked_at"),
                      refresh_families.c.expires_at.label("family_expires_at"))
            .join(refresh_families, refresh_families.c.id == refresh_tokens.c.family_id)
            .where(refresh_tokens.c.id == token_id)
        )  # fmt: skip
        r = self._tx(lambda c: c.execute(query).first())
        if r is None:
            return None
        return RefreshRecord(
            r.id, r.family_id, r.secret_hash, r.user_id, r.organization_id,
            read_time(r.expires_at), _time(r.used_at), _time(r.family_revoked_at),
            read_time(r.family_expires_at),
        )  # fmt: skip

    def rotate(self, old_id: str, family_id: str, new_id_: str, secret_hash: str,
               expires_at: datetime) -> bool:  # fmt: skip
        """Mark `old_id` used and add its successor, if `old_id` was unused and its family
        unrevoked (compare-and-set); False otherwise (a replay, or a revoked family)."""
        now, expires = self._now(), self._utc(expires_at)

        def work(conn: sa.Connection) -> bool:
            live = conn.execute(
                refresh_families.update()
                .where(refresh_families.c.id == family_id, refresh_families.c.revoked_at.is_(None))
                .values(expires_at=expires)
            ).rowcount  # fmt: skip
            used = conn.execute(
                refresh_tokens.update()
                .where(refresh_tokens.c.id == old_id, refresh_tokens.c.used_at.is_(None))
                .values(used_at=now)
            ).rowcount  # fmt: skip
            if live != 1 or used != 1:
                raise _Lost
            conn.execute(refresh_tokens.insert().values(
                id=new_id_, family_id=family_id, secret_hash=secret_hash, issued_at=now,
                expires_at=expires))  # fmt: skip
            return True

        try:
            return self._tx(work)
        except _Lost:
            return False

    def revoke_family(self, family_id: str, reason: str) -> datetime | None:
        """Revoke the family (idempotent); until when its tokens could have been used, or
        None when there is no such family."""
        now = self._now()

        def work(conn: sa.Connection) -> Any:
            conn.execute(refresh_families.update().where(
                refresh_families.c.id == family_id, refresh_families.c.revoked_at.is_(None)
            ).values(revoked_at=now, revoked_reason=reason))  # fmt: skip
            return conn.execute(sa.select(refresh_families.c.expires_at).where(
                refresh_families.c.id == family_id)).scalar()  # fmt: skip

        expires = self._tx(work)
        return None if expires is None else read_time(expires)

    def family_owner(self, family_id: str) -> tuple[str, str] | None:
        row = self._tx(lambda c: c.execute(sa.select(
            refresh_families.c.user_id, refresh_families.c.organization_id).where(
            refresh_families.c.id == family_id)).first())  # fmt: skip
        return None if row is None else (row.user_id, row.organization_id)

    # --- API keys ------------------------------------------------------------------------

    def create_api_key(self, record: ApiKeyRecord) -> None:
        self._tx(lambda c: c.execute(api_keys.insert().values(
            id=record.id, organization_id=record.organization_id, created_by=record.created_by,
            name=record.name, secret_hash=record.secret_hash, role=record.role,
            scopes=",".join(sorted(record.scopes)), created_at=self._utc(record.created_at),
            expires_at=None if record.expires_at is None else self._utc(record.expires_at),
            revoked_at=None)))  # fmt: skip

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        row = self._tx(lambda c: c.execute(
            sa.select(api_keys).where(api_keys.c.id == key_id)).first())  # fmt: skip
        return None if row is None else _api_key(row)

    def api_keys(self, organization_id: str) -> list[ApiKeyRecord]:
        query = (sa.select(api_keys).where(api_keys.c.organization_id == organization_id)
                 .order_by(api_keys.c.created_at, api_keys.c.id))  # fmt: skip
        return [_api_key(r) for r in self._tx(lambda c: c.execute(query).all())]

    def revoke_api_key(self, organization_id: str, key_id: str) -> ApiKeyRecord | None:
        """Revoke the organization's key `key_id` (idempotent); None when it has none."""
        now = self._now()

        def work(conn: sa.Connection) -> Any:
            conn.execute(api_keys.update().where(
                api_keys.c.id == key_id, api_keys.c.organization_id == organization_id,
                api_keys.c.revoked_at.is_(None)).values(revoked_at=now))  # fmt: skip
            mine = (api_keys.c.id == key_id, api_keys.c.organization_id == organization_id)
            return conn.execute(sa.select(api_keys).where(*mine)).first()

        row = self._tx(work)
        return None if row is None else _api_key(row)


class _Lost(Exception):
    """A rotation's compare-and-set failed: roll the transaction back."""


class _NeedsPassword(WeakPasswordError):
    def __init__(self) -> None:
        super().__init__("a new user needs a password")


def _time(value: datetime | None) -> datetime | None:
    return None if value is None else read_time(value)


def _user(row: Any) -> UserRecord:
    return UserRecord(row.id, row.email, row.password_hash, bool(row.disabled),
                      read_time(row.created_at))  # fmt: skip


def _api_key(row: Any) -> ApiKeyRecord:
    scopes = frozenset(s for s in row.scopes.split(",") if s)
    return ApiKeyRecord(row.id, row.organization_id, row.created_by, row.name, row.secret_hash,
                        row.role, scopes, read_time(row.created_at), _time(row.expires_at),
                        _time(row.revoked_at))  # fmt: skip
