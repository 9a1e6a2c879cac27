"""coderev.auth on SQLite and the real PostgreSQL, with revocations in SQLite and the real
Redis: sessions, refresh rotation, replay revoking the family, logout, API keys.

Redis is the machine's server: REDIS_URL, else redis://127.0.0.1:6379/15; it must answer.
Every test uses a key prefix of its own and a schema of its own (sql_backend).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, migrated

from coderev.auth.api_keys import ApiKeys
from coderev.auth.errors import (
    InvalidCredentialsError,
    InvalidTokenError,
    PermissionDeniedError,
    RefreshReuseError,
    TokenRevokedError,
    UserExistsError,
)
from coderev.auth.revocation import RedisRevocations, SqliteRevocations
from coderev.auth.service import AuthService
from coderev.auth.sql_repository import SqlAuthRepository
from coderev.auth.tokens import TokenPolicy
from coderev.auth.verify import verify_bearer
from coderev.config import settings_for
from coderev.ports import RevocationStore

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
KEY = "s" * 64
PASSWORD = "correct horse battery staple"


@pytest.fixture(params=["sqlite-revocations", "redis-revocations"])
def revocations(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RevocationStore]:
    if request.param == "sqlite-revocations":
        yield SqliteRevocations(tmp_path / "revocations.sqlite")
        return
    import redis

    prefix = f"test:auth:{uuid.uuid4().hex}:"
    store = RedisRevocations.from_url(REDIS_URL, prefix=prefix)
    try:
        store.client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); start it or set REDIS_URL")
    yield store
    for key in store.client.scan_iter(f"{prefix}*"):
        store.client.delete(key)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"JWT_SECRET_KEY": KEY, "CODEREV_DATA_DIR": str(tmp_path)}


@pytest.fixture
def service(sql_backend: SqlBackend, revocations: RevocationStore,
            env: dict[str, str]) -> AuthService:  # fmt: skip
    repository = migrated(SqlAuthRepository, sql_backend)
    return AuthService(repository, revocations, TokenPolicy(KEY.encode()),
                       settings=settings_for(env))  # fmt: skip


def verify(service: AuthService, token: str, env: dict[str, str]) -> object:
    keys = ApiKeys(service.repository, service.revocations)
    return verify_bearer(token, settings_for(env), revocations=service.revocations, api_keys=keys)


def test_register_login_whoami(service: AuthService, env: dict[str, str]) -> None:
    pair = service.register("Ada@Example.com", PASSWORD, "Example Ltd")
    principal = verify(service, pair.access_token, env)
    assert principal.roles == {"admin"} and principal.tenant == pair.tenant  # type: ignore[attr-defined]
    again = service.login("ada@example.com", PASSWORD)
    assert again.tenant == pair.tenant
    who = service.whoami(principal)  # type: ignore[arg-type]
    assert (who.email, who.organization) == ("ada@example.com", "Example Ltd")
    stored = service.repository.user_by_email("ada@example.com")
    assert stored is not None and stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in repr(stored)
    with pytest.raises(UserExistsError):
        service.register("ada@example.com", PASSWORD, "Other Org")
    with pytest.raises(InvalidCredentialsError):
        service.login("ada@example.com", PASSWORD + "x")
    with pytest.raises(InvalidCredentialsError):
        service.login("nobody@example.com", PASSWORD)


def test_a_replayed_refresh_token_revokes_the_whole_family(
    service: AuthService, env: dict[str, str]
) -> None:
    first = service.register("bob@example.com", PASSWORD, "Bob Org")
    second = service.refresh(first.refresh_token)
    third = service.refresh(second.refresh_token)
    verify(service, third.access_token, env)  # the session is live
    other_session = service.login("bob@example.com", PASSWORD)
    with pytest.raises(RefreshReuseError):
        service.refresh(first.refresh_token)  # a stolen copy of a rotated token
    with pytest.raises(TokenRevokedError):
        service.refresh(third.refresh_token)  # the legitimate holder is logged out too
    for access in (first.access_token, third.access_token):
        with pytest.raises(TokenRevokedError):
            verify(service, access, env)
    verify(service, other_session.access_token, env)  # another session is untouched
    assert service.refresh(other_session.refresh_token).tenant == other_session.tenant


def test_two_concurrent_refreshes_of_one_token_cannot_both_win(service: AuthService) -> None:
    pair = service.register("carol@example.com", PASSWORD, "Carol Org")

    def spend() -> str:
        try:
            return service.refresh(pair.refresh_token).refresh_token
        except (RefreshReuseError, TokenRevokedError):
            return "refused"

    outcomes = at_once([spend, spend], timeout=60)
    assert outcomes.count("refused") == 1  # one rotation wins; the other is a replay
    winner = next(o for o in outcomes if o != "refused")
    with pytest.raises(TokenRevokedError):  # and the replay revoked the family
        service.refresh(winner)


def test_logout_ends_the_session(service: AuthService, env: dict[str, str]) -> None:
    pair = service.register("dan@example.com", PASSWORD, "Dan Org")
    service.logout(pair.access_token)
    with pytest.raises(TokenRevokedError):
        verify(service, pair.access_token, env)
    with pytest.raises(TokenRevokedError):
        service.refresh(pair.refresh_token)
    with pytest.raises(InvalidTokenError):
        service.refresh(pair.refresh_token[:-2] + "xx")


def test_api_keys_are_shown_once_stored_hashed_scoped_and_revocable(
    service: AuthService, env: dict[str, str]
) -> None:
    admin_pair = service.register("eve@example.com", PASSWORD, "Eve Org")
    admin = verify(service, admin_pair.access_token, env)
    keys = ApiKeys(service.repository, service.revocations)
    record, text = keys.create(admin, "ci", frozenset({"analyses:write"}),  # type: ignore[arg-type]
                               expires_days=30)  # fmt: skip
    assert text.startswith("crk_") and text.split("_", 2)[2] not in repr(record)
    stored = service.repository.api_key(record.id)
    assert stored is not None and stored.secret_hash != text and text not in str(stored)
    machine = verify(service, text, env)
    assert (machine.kind, machine.tenant, machine.scopes) == (  # type: ignore[attr-defined]
        "api_key", admin_pair.tenant, {"analyses:write"})  # fmt: skip
    with pytest.raises(InvalidTokenError):
        verify(service, text[:-3] + "abc", env)  # a guessed secret for a real id
    keys.revoke(admin, record.id)  # type: ignore[arg-type]
    with pytest.raises(TokenRevokedError):
        verify(service, text, env)
    member, _ = service.add_member(admin, "vic@example.com", "viewer", PASSWORD)  # type: ignore[arg-type]
    viewer = verify(service, service.login("vic@example.com", PASSWORD).access_token, env)
    with pytest.raises(PermissionDeniedError):
        keys.create(viewer, "x", frozenset({"analyses:read"}))  # type: ignore[arg-type]
    with pytest.raises(PermissionDeniedError):
        service.add_member(viewer, "z@example.com", "admin", PASSWORD)  # type: ignore[arg-type]
    assert member.role == "viewer"


def test_a_role_change_or_removal_reaches_the_next_refresh(service: AuthService) -> None:
    pair = service.register("fay@example.com", PASSWORD, "Fay Org")
    assert service.refresh(pair.refresh_token).expires_in == int(timedelta(minutes=15).seconds)
