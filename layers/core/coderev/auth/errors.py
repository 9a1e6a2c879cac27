"""Errors of identity and tokens. Entry points map them by type (401, 403, 409, 422, 503).

Messages never carry a password, a token or an API key, and an authentication failure says
no more than needed: a wrong password and an unknown email read the same.
"""

from __future__ import annotations

from coderev.domain.errors import CoderevError, ConfigError, ConflictError, InputError

__all__ = [
    "AuthConfigError",
    "AuthError",
    "AuthStoreError",
    "AuthenticationError",
    "InvalidCredentialsError",
    "InvalidFieldError",
    "InvalidTokenError",
    "PermissionDeniedError",
    "RefreshReuseError",
    "TokenRevokedError",
    "UserExistsError",
    "WeakPasswordError",
]


class AuthError(CoderevError):
    """Base of the auth room's errors."""


class AuthenticationError(AuthError):
    """The caller is not authenticated: no, a malformed, a forged, an expired or a revoked
    credential (401)."""


class InvalidTokenError(AuthenticationError):
    """A token that does not verify (signature, algorithm, audience, issuer, times, claims)."""


class TokenRevokedError(AuthenticationError):
    """A token or API key that was valid and has been revoked (logout, family revocation)."""


class RefreshReuseError(TokenRevokedError):
    """A refresh token presented again after it was rotated: its whole family is revoked."""


class InvalidCredentialsError(AuthenticationError):
    """Login failed: unknown email, wrong password or organization (one message for all)."""

    def __init__(self) -> None:
        super().__init__("invalid email, password or organization")


class PermissionDeniedError(AuthError):
    """Authenticated, but the caller's role or scopes do not allow this (403)."""


class UserExistsError(AuthError, ConflictError):
    """The email is already registered (or already a member of that organization)."""


class WeakPasswordError(AuthError, InputError):
    """A password that breaks the length rule."""


class InvalidFieldError(AuthError, InputError):
    """A field coderev does not accept: an email address, an organization name, a role (422,
    like the request's other field checks: the documented answer to an invalid body)."""


class AuthConfigError(AuthError, ConfigError):
    """The auth settings cannot be used (JWT_SECRET_KEY missing or default outside embedded
    mode, a key too short)."""


class AuthStoreError(AuthError):
    """The database or the revocation store cannot be used (503)."""
