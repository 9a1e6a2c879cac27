"""Identity and token issuance: who is calling, for which tenant, with which roles.

The room owns organizations (tenants), users (argon2id password hashes), memberships with
roles (admin, approver, maintainer, reviewer, viewer), access JWTs (HS256 pinned), refresh-token
families with rotation and reuse detection, logout, API keys for machines (shown once,
stored hashed, scoped, revocable), and the revocation/session store (Redis, SQLite or
in-process).

What other rooms use:
- `coderev.auth.principal`: `Principal` (the caller, as the authorizer passes it on in
  `requestContext.authorizer`) and `LOCAL_ADMIN` (the embedded CLI);
- `coderev.auth.verify.verify_bearer(token, settings)`: a bearer token (JWT or `crk_` API key)
  to a Principal, or `coderev.auth.errors.AuthenticationError`.

This package's `__init__` imports nothing: PyJWT, argon2 and SQLAlchemy load only in the
modules that need them.
"""

from __future__ import annotations

__all__: list[str] = []
