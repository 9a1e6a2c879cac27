"""The `auth` schema's tables: what migration 0004 must produce (a test compares).

- `organizations`: the tenants;
- `users`: an email (stored lower-case) and an argon2id password hash;
- `memberships`: a user's role in an organization (admin, approver, maintainer, reviewer, viewer);
- `refresh_families`: one per login (a session); revoked on logout or when one of its
  rotated refresh tokens is presented again;
- `refresh_tokens`: each refresh token of a family, by id, its secret as a SHA-256 hash;
  `used_at` set when it was rotated (compare-and-set: only one rotation wins);
- `api_keys`: machine credentials of an organization, their secret as a SHA-256 hash, with
  scopes, a role, an optional expiry and `revoked_at`.

Shared by `coderev.auth.sql_repository` and `coderev.migrations.runner`.
"""

from __future__ import annotations

import sqlalchemy as sa

from coderev.analyses.tables import NAMING_CONVENTION

__all__ = [
    "LOGICAL_SCHEMA",
    "api_keys",
    "memberships",
    "metadata",
    "organizations",
    "refresh_families",
    "refresh_tokens",
    "users",
]

LOGICAL_SCHEMA = "auth"
ID = 32
EMAIL = 254

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _fk(column: str, target: str, name: str) -> sa.Column[str]:
    return sa.Column(
        column, sa.String(ID), sa.ForeignKey(target, ondelete="CASCADE", name=name),
        nullable=False, index=True,
    )  # fmt: skip


organizations = sa.Table(
    "organizations",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema=LOGICAL_SCHEMA,
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    sa.Column("email", sa.String(EMAIL), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("disabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema=LOGICAL_SCHEMA,
)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column(
        "organization_id",
        sa.String(ID),
        sa.ForeignKey(
            organizations.c.id,
            ondelete="CASCADE",
            name="fk_memberships_organization_id_organizations",
        ),
        primary_key=True,
    ),
    sa.Column(
        "user_id",
        sa.String(ID),
        sa.ForeignKey(users.c.id, ondelete="CASCADE", name="fk_memberships_user_id_users"),
        primary_key=True,
        index=True,
    ),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema=LOGICAL_SCHEMA,
)

refresh_families = sa.Table(
    "refresh_families",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    _fk("user_id", "auth.users.id", "fk_refresh_families_user_id_users"),
    sa.Column("organization_id", sa.String(ID), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_reason", sa.String(32), nullable=True),
    schema=LOGICAL_SCHEMA,
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    _fk("family_id", "auth.refresh_families.id", "fk_refresh_tokens_family_id_refresh_families"),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    schema=LOGICAL_SCHEMA,
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    _fk("organization_id", "auth.organizations.id", "fk_api_keys_organization_id_organizations"),
    sa.Column("created_by", sa.String(ID), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("scopes", sa.String(512), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    schema=LOGICAL_SCHEMA,
)
