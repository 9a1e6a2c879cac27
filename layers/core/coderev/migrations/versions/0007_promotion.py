"""production.releases, production.decisions, quarantine.entries: promotion's records.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from coderev.migrations.runner import ensure_schema

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    ensure_schema("production")
    ensure_schema("quarantine")
    op.create_table(
        "releases",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.String(128), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("config", _JSON, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("previous_version", sa.Integer(), nullable=True),
        sa.Column("experiment_id", sa.String(128), nullable=True),
        sa.Column("promotion_id", sa.String(128), nullable=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("reason", sa.String(1024), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_releases")),
        sa.UniqueConstraint("tenant", "scope", "version", name="uq_releases_tenant_scope_version"),
        sa.UniqueConstraint("promotion_id", name="uq_releases_promotion_id"),
        schema="production",
    )
    op.create_index(op.f("ix_releases_experiment_id"), "releases", ["experiment_id"],
                    schema="production")  # fmt: skip
    op.create_table(
        "decisions",
        sa.Column("promotion_id", sa.String(128), nullable=False),
        sa.Column("experiment_id", sa.String(128), nullable=False),
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
        sa.PrimaryKeyConstraint("promotion_id", name=op.f("pk_decisions")),
        schema="production",
    )
    op.create_index(op.f("ix_decisions_experiment_id"), "decisions", ["experiment_id"],
                    schema="production")  # fmt: skip
    op.create_table(
        "entries",
        sa.Column("promotion_id", sa.String(128), nullable=False),
        sa.Column("tenant", sa.String(128), nullable=False),
        sa.Column("scope", sa.String(255), nullable=False),
        sa.Column("experiment_id", sa.String(128), nullable=False),
        sa.Column("config_id", sa.String(128), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("config", _JSON, nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("promotion_id", name=op.f("pk_entries")),
        schema="quarantine",
    )
    for column in ("tenant", "experiment_id"):
        op.create_index(op.f(f"ix_entries_{column}"), "entries", [column], schema="quarantine")


def downgrade() -> None:
    op.drop_table("entries", schema="quarantine")
    op.drop_table("decisions", schema="production")
    op.drop_table("releases", schema="production")
