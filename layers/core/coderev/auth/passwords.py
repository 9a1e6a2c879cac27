"""Password hashes: argon2id through argon2-cffi (its RFC 9106 low-memory profile: 64 MiB,
3 passes, 4 lanes), and a dummy verification for unknown emails so that a login's time does
not tell whether the email is registered."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from coderev.auth.errors import WeakPasswordError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "check_password_rules", "hash_password",
           "needs_rehash", "verify_password"]  # fmt: skip

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 takes any length; this bounds the work one request can ask for


@cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4, type=Type.ID)


@cache
def _dummy() -> str:
    return _hasher().hash("coderev-dummy-password")


def check_password_rules(password: str) -> None:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPasswordError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; with no hash (unknown user) the same work, then False."""
    from argon2.exceptions import InvalidHashError, VerificationError

    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    try:
        ok = _hasher().verify(password_hash or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
