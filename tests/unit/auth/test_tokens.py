"""Access JWTs: a valid one proves its principal; every forged kind is refused (401)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from coderev.auth.errors import AuthConfigError, InvalidTokenError, TokenRevokedError
from coderev.auth.keys import signing_key
from coderev.auth.revocation import InMemoryRevocations
from coderev.auth.tokens import TokenPolicy
from coderev.auth.verify import verify_bearer
from coderev.config import settings_for

KEY = "k" * 64
POLICY = TokenPolicy(key=KEY.encode(), leeway_s=5)


def settings(tmp_path: Path, **env: str) -> object:
    return settings_for({"JWT_SECRET_KEY": KEY, "CODEREV_DATA_DIR": str(tmp_path),
                         "CODEREV_JWT_LEEWAY_SECONDS": "5", **env})  # fmt: skip


def issue(now: datetime | None = None) -> str:
    return POLICY.issue("user-1", "org-1", frozenset({"maintainer"}), "sess-1", now=now).token


def claims_of(token: str) -> dict[str, object]:
    return jwt.decode(token, options={"verify_signature": False})


def test_a_valid_token_proves_its_principal(tmp_path: Path) -> None:
    p = verify_bearer("Bearer " + issue(), settings(tmp_path), revocations=InMemoryRevocations())
    assert (p.subject, p.tenant, p.roles, p.kind) == ("user-1", "org-1", {"maintainer"}, "user")
    claims = claims_of(issue())
    assert {"iss", "aud", "sub", "exp", "iat", "nbf", "jti", "tenant", "roles"} <= set(claims)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def forged() -> dict[str, str]:
    good = issue()
    claims = claims_of(good)
    now = datetime.now(UTC)
    header, _payload, sig = good.split(".")
    tampered = dict(claims, roles=["admin"], tenant="org-2")
    return {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg HS512 with the right key": jwt.encode(claims, KEY, algorithm="HS512"),
        "wrong key": jwt.encode(claims, "w" * 64, algorithm="HS256"),
        "wrong audience": jwt.encode(dict(claims, aud="someone-else"), KEY, algorithm="HS256"),
        "wrong issuer": jwt.encode(dict(claims, iss="evil"), KEY, algorithm="HS256"),
        "expired": issue(now - timedelta(hours=1)),
        "not yet valid": jwt.encode(
            dict(claims, nbf=int(now.timestamp()) + 600), KEY, algorithm="HS256"
        ),
        "tampered claims": f"{header}.{_b64(tampered)}.{sig}",
        "no tenant": jwt.encode(
            {k: v for k, v in claims.items() if k != "tenant"}, KEY, algorithm="HS256"
        ),
        "unknown role": jwt.encode(dict(claims, roles=["root"]), KEY, algorithm="HS256"),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("kind", sorted(forged()))
def test_a_forged_token_is_refused(kind: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidTokenError):
        verify_bearer(forged()[kind], settings(tmp_path), revocations=InMemoryRevocations())


def test_the_leeway_admits_a_token_just_expired(tmp_path: Path) -> None:
    just = datetime.now(UTC) - POLICY.ttl - timedelta(seconds=2)
    assert verify_bearer(issue(just), settings(tmp_path), revocations=InMemoryRevocations())


def test_a_revoked_token_or_session_is_refused(tmp_path: Path) -> None:
    token = issue()
    revocations = InMemoryRevocations()
    until = datetime.now(UTC) + timedelta(hours=1)
    revocations.revoke("sid:sess-1", until)
    with pytest.raises(TokenRevokedError):
        verify_bearer(token, settings(tmp_path), revocations=revocations)
    other = InMemoryRevocations()
    other.revoke(f"jti:{claims_of(token)['jti']}", until)
    with pytest.raises(TokenRevokedError):
        verify_bearer(token, settings(tmp_path), revocations=other)


@pytest.mark.parametrize("secret", [None, "change-me", "short"])
def test_outside_embedded_mode_a_missing_or_default_key_is_refused(
    secret: str | None, tmp_path: Path
) -> None:
    env = {"CODEREV_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgresql://x/y"}
    if secret is not None:
        env["JWT_SECRET_KEY"] = secret
    with pytest.raises(AuthConfigError):
        signing_key(settings_for(env))


def test_embedded_mode_makes_a_private_key_file_once(tmp_path: Path) -> None:
    embedded = settings_for({"CODEREV_DATA_DIR": str(tmp_path)})
    key = signing_key(embedded)
    assert len(key) >= 64 and signing_key(embedded) == key
    assert (tmp_path / "jwt.key").stat().st_mode & 0o777 == 0o600
