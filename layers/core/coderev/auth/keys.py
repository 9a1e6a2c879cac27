"""The JWT signing key, and the rule that refuses a missing or default one outside embedded
mode.

Embedded mode is the zero-service laptop default: not on AWS, and neither DATABASE_URL nor
REDIS_URL set (one process family, one machine, one SQLite file). There, without
JWT_SECRET_KEY, a random key is made once in `<data dir>/jwt.key` (mode 0600), so tokens
outlive a restart of `coderev serve`. Anywhere else a missing key, a known placeholder or
one shorter than 32 bytes is an AuthConfigError: the auth function and the authorizer refuse
to start rather than sign with a guessable key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.auth.errors import AuthConfigError

if TYPE_CHECKING:
    from coderev.config import Settings

__all__ = ["MIN_KEY_BYTES", "PLACEHOLDERS", "is_embedded", "signing_key"]

MIN_KEY_BYTES = 32  # HS256: RFC 7518 §3.2 asks for a key at least as long as the hash
PLACEHOLDERS = frozenset(
    {"", "change-me", "changeme", "change_me", "secret", "jwt-secret", "your-secret-key",
     "dev-secret", "please-change", "coderev", "default", "test", "password"}
)  # fmt: skip


def is_embedded(settings: Settings) -> bool:
    """True on the zero-service default: not on AWS, no DATABASE_URL, no REDIS_URL."""
    on_aws = bool(os.environ.get("AWS_LAMBDA_RUNTIME_API"))
    return not (on_aws or settings.database_url or settings.redis_url)


def signing_key(settings: Settings) -> bytes:
    """The HS256 key: JWT_SECRET_KEY; in embedded mode without it, the data dir's key file.

    AuthConfigError outside embedded mode for a missing, placeholder or short key (and, in
    embedded mode, for a placeholder or short key that was set on purpose)."""
    given = settings.jwt_secret_key.get_secret_value() if settings.jwt_secret_key else ""
    if given:
        if given.strip().lower() in PLACEHOLDERS:
            raise AuthConfigError("JWT_SECRET_KEY is a default placeholder: set a random key")
        if len(given.encode()) < MIN_KEY_BYTES:
            raise AuthConfigError(f"JWT_SECRET_KEY must be at least {MIN_KEY_BYTES} bytes long")
        return given.encode()
    if not is_embedded(settings):
        raise AuthConfigError(
            "JWT_SECRET_KEY is not set: outside embedded mode (DATABASE_URL, REDIS_URL or AWS) "
            "tokens need a random key of at least 32 bytes"
        )
    return _key_file(settings.data_dir / "jwt.key")


def _key_file(path: Path) -> bytes:
    """The key in `path`, made (64 random bytes, hex, mode 0600) when absent."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(64).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
