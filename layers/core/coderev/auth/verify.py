"""A bearer token to the Principal it proves: what the authorizer runs on every request.

Two kinds of token: an access JWT (`coderev.auth.tokens`: signature, algorithm, audience,
issuer, times and claims, then the revocation store for its `jti` and its session) and an
API key (`crk_...`: looked up by its id, its hash compared in constant time, then checked
against revocation and expiry by `coderev.auth.api_keys`). Anything else, and any failed
check, is an AuthenticationError; the message names the check, never the token.

The stores default to bootstrap's (`revocation_store()`, `api_keys()`), built on first use;
tests pass their own.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from coderev.auth.errors import AuthenticationError, InvalidTokenError, TokenRevokedError

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.auth.tokens import TokenPolicy
    from coderev.config import Settings
    from coderev.ports import RevocationStore

__all__ = ["API_KEY_PREFIX", "MAX_TOKEN_LENGTH", "ApiKeyVerifier", "verify_bearer"]

API_KEY_PREFIX = "crk_"
MAX_TOKEN_LENGTH = 4096


class ApiKeyVerifier(Protocol):
    def verify(self, key: str) -> Principal:
        """The principal of a valid, unrevoked, unexpired API key; else AuthenticationError."""
        ...


def verify_bearer(
    token: str,
    settings: Settings,
    *,
    revocations: RevocationStore | None = None,
    api_keys: ApiKeyVerifier | None = None,
) -> Principal:
    """The Principal `token` proves (an `Authorization` header's value, with or without its
    `Bearer ` prefix); AuthenticationError (a subclass naming the failed check) otherwise.
    AuthConfigError when the settings cannot verify anything (no usable JWT_SECRET_KEY)."""
    token = _bare(token)
    if token.startswith(API_KEY_PREFIX):
        if api_keys is None:
            from coderev import bootstrap

            api_keys = bootstrap.api_keys()
        return api_keys.verify(token)
    access = policy_for(settings).verify(token)
    if revocations is None:
        from coderev import bootstrap

        revocations = bootstrap.revocation_store()
    if revocations.any_revoked((f"jti:{access.principal.token_id}", f"sid:{access.session_id}")):
        raise TokenRevokedError("the access token has been revoked")
    return access.principal


def _bare(token: str) -> str:
    if not isinstance(token, str):
        raise AuthenticationError("no bearer token")
    token = token.strip()
    scheme, _, rest = token.partition(" ")
    if rest and scheme.lower() == "bearer":
        token = rest.strip()
    if not token:
        raise AuthenticationError("no bearer token")
    if len(token) > MAX_TOKEN_LENGTH or not token.isascii() or " " in token:
        raise InvalidTokenError("the bearer token is malformed")
    return token


_POLICIES: dict[int, tuple[Settings, TokenPolicy]] = {}
_LOCK = threading.Lock()


def policy_for(settings: Settings) -> TokenPolicy:
    """The TokenPolicy of `settings`, made once per Settings object (they are cached per
    environment by coderev.config, so a sandbox builds one)."""
    held = _POLICIES.get(id(settings))
    if held is not None and held[0] is settings:
        return held[1]
    from coderev.auth.tokens import TokenPolicy

    policy = TokenPolicy.of(settings)
    with _LOCK:
        if len(_POLICIES) > 64:
            _POLICIES.clear()
        _POLICIES[id(settings)] = (settings, policy)  # the Settings held: its id is not reused
    return policy
