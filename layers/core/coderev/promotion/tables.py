"""The `production` and `quarantine` tables: what the Alembic migrations must produce (a test
compares). Shared by `coderev.promotion.sql_repository` and `coderev.migrations.runner`.

- production.releases: every version of production per tenant and scope (a project, or ""
  for the tenant), append-only; (tenant, scope, version) unique, so two writers racing for
  the same next version cannot both succeed; promotion_id unique, so a redriven Promote writes
  once.
- production.decisions: one decision record per promotion (input, policy, answer).
- quarantine.entries: one refused candidate per promotion, with the reasons.

This module imports SQLAlchemy; `coderev.promotion` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from coderev.analyses.tables import NAMING_CONVENTION

__all__ = ["PRODUCTION", "QUARANTINE", "decisions", "entries", "metadata", "releases"]

PRODUCTION = "production"
QUARANTINE = "quarantine"

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("tenant", sa.String(128), nullable=False),
    sa.Column("scope", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("config_id", sa.String(128), nullable=False),
    sa.Column("config_version", sa.Integer(), nullable=False),
    sa.Column("config", _JSON, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("previous_version", sa.Integer(), nullable=True),
    sa.Column("experiment_id", sa.String(128), nullable=True, index=True),
    sa.Column("promotion_id", sa.String(128), nullable=True),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("reason", sa.String(1024), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("tenant", "scope", "version", name="uq_releases_tenant_scope_version"),
    sa.UniqueConstraint("promotion_id", name="uq_releases_promotion_id"),
    schema=PRODUCTION,
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("promotion_id", sa.String(128), primary_key=True),
    sa.Column("experiment_id", sa.String(128), nullable=False, index=True),
    sa.Column("tenant", sa.String(128), nullable=False),
    sa.Column("scope", sa.String(255), nullable=False),
    sa.Column("requester", sa.String(255), nullable=False),
    sa.Column("input", _JSON, nullable=False),
    sa.Column("policy_path", sa.String(255), nullable=False),
    sa.Column("policy_version", sa.String(64), nullable=False),
    sa.Column("policy_hash", sa.String(64), nullable=False),
    sa.Column("allow", sa.Boolean(), nullable=False),
    sa.Column("reasons", _JSON, nullable=False),
    sa.Column("expected_version", sa.Integer(), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
    schema=PRODUCTION,
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("promotion_id", sa.String(128), primary_key=True),
    sa.Column("tenant", sa.String(128), nullable=False, index=True),
    sa.Column("scope", sa.String(255), nullable=False),
    sa.Column("experiment_id", sa.String(128), nullable=False, index=True),
    sa.Column("config_id", sa.String(128), nullable=False),
    sa.Column("config_version", sa.Integer(), nullable=False),
    sa.Column("config", _JSON, nullable=False),
    sa.Column("reasons", _JSON, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    schema=QUARANTINE,
)
