"""Access JWTs: issued and verified with PyJWT, HS256 pinned.

Claims: `iss`, `aud`, `sub` (user id), `exp`, `iat`, `nbf`, `jti` (unique per token, for
revocation), `tenant` (organization id), `roles`, `sid` (the session: the refresh-token
family, so logging out or a replayed refresh token ends the access tokens of that session
too) and `kind` ("user"). Verification requires every one of them, accepts only HS256 (a
token whose header says `none`, HS512 or RS256 is refused before any key is used) and
allows `leeway` seconds of clock skew on `exp`, `nbf` and `iat`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coderev.auth.errors import InvalidTokenError
from coderev.auth.principal import ROLES, Principal

if TYPE_CHECKING:
    from coderev.config import Settings

__all__ = ["ALGORITHM", "REQUIRED_CLAIMS", "AccessToken", "TokenPolicy"]

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("iss", "aud", "sub", "exp", "iat", "nbf", "jti", "tenant", "roles", "sid")


@dataclass(frozen=True)
class AccessToken:
    """An issued or verified access token: its text never appears in a repr."""

    principal: Principal
    session_id: str
    expires_at: datetime
    token: str = ""

    def __repr__(self) -> str:
        p = self.principal
        return f"AccessToken(subject={p.subject!r}, jti={p.token_id!r}, expires={self.expires_at})"


@dataclass(frozen=True)
class TokenPolicy:
    """How access tokens are signed and checked."""

    key: bytes
    issuer: str = "coderev"
    audience: str = "coderev-api"
    ttl: timedelta = timedelta(minutes=15)
    leeway_s: float = 30.0

    def __repr__(self) -> str:  # the key stays out of reprs
        return f"TokenPolicy(issuer={self.issuer!r}, audience={self.audience!r}, ttl={self.ttl})"

    @classmethod
    def of(cls, settings: Settings) -> TokenPolicy:
        from coderev.auth.keys import signing_key

        return cls(
            key=signing_key(settings), issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            ttl=timedelta(minutes=settings.access_token_expire_minutes),
            leeway_s=settings.jwt_leeway_seconds,
        )  # fmt: skip

    def issue(
        self, subject: str, tenant: str, roles: frozenset[str], session_id: str,
        *, now: datetime | None = None,
    ) -> AccessToken:  # fmt: skip
        """A signed access token for a user of `tenant` in session `session_id`."""
        import jwt

        issued = (now or datetime.now(UTC)).replace(microsecond=0)
        expires = issued + self.ttl
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.audience, "sub": subject,
            "iat": issued, "nbf": issued, "exp": expires, "jti": jti,
            "tenant": tenant, "roles": sorted(roles), "sid": session_id, "kind": "user",
        }  # fmt: skip
        token = jwt.encode(claims, self.key, algorithm=ALGORITHM)
        principal = Principal(subject, tenant, frozenset(roles), "user", token_id=jti)
        return AccessToken(principal, session_id, expires, token)

    def verify(self, token: str) -> AccessToken:
        """The verified token; InvalidTokenError for anything short of a valid one (the
        message says which check failed, never the token)."""
        import jwt

        try:
            claims = jwt.decode(
                token, self.key, algorithms=[ALGORITHM], audience=self.audience,
                issuer=self.issuer, leeway=self.leeway_s,
                options={"require": list(REQUIRED_CLAIMS), "strict_aud": True},
            )  # fmt: skip
        except jwt.ExpiredSignatureError as exc:
            raise InvalidTokenError("the access token has expired") from exc
        except jwt.ImmatureSignatureError as exc:
            raise InvalidTokenError("the access token is not valid yet") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidTokenError("the access token is for another audience") from exc
        except jwt.InvalidIssuerError as exc:
            raise InvalidTokenError("the access token is from another issuer") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise InvalidTokenError("the access token's algorithm is not accepted") from exc
        except jwt.InvalidSignatureError as exc:
            raise InvalidTokenError("the access token's signature does not verify") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidTokenError(f"the access token lacks the {exc.claim!r} claim") from exc
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("the access token is malformed") from exc
        return _access_token(claims, token)


def _access_token(claims: dict[str, Any], token: str) -> AccessToken:
    sub, tenant, sid, jti = claims["sub"], claims["tenant"], claims["sid"], claims["jti"]
    roles = claims["roles"]
    if claims.get("kind", "user") != "user":
        raise InvalidTokenError("the access token is not a user token")
    if not all(isinstance(v, str) and v for v in (sub, tenant, sid, jti)):
        raise InvalidTokenError("the access token's claims are malformed")
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise InvalidTokenError("the access token's roles are malformed")
    principal = Principal(sub, tenant, frozenset(roles), "user", token_id=jti)
    return AccessToken(principal, sid, datetime.fromtimestamp(claims["exp"], UTC), token)
