"""providers.providers, providers.models, providers.health: the provider registry.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coderev.migrations.runner import ensure_schema

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ensure_schema("providers")
    op.create_table(
        "providers",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("base_url", sa.String(2048), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("key_blob", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(2048), nullable=True),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("key_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_providers")),
        schema="providers",
    )
    op.create_index(op.f("ix_providers_key_id"), "providers", ["key_id"], schema="providers")
    op.create_table(
        "models",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("context_window", sa.Integer(), nullable=False),
        sa.Column("max_output_tokens", sa.Integer(), nullable=False),
        sa.Column("input_usd_per_mtok", sa.Float(), nullable=False),
        sa.Column("output_usd_per_mtok", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider"],
            ["providers.providers.name"],
            name="fk_models_provider_providers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider", "model", name=op.f("pk_models")),
        schema="providers",
    )
    op.create_table(
        "health",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=True),
        sa.Column("error", sa.String(1024), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_health")),
        schema="providers",
    )


def downgrade() -> None:
    op.drop_table("health", schema="providers")
    op.drop_table("models", schema="providers")
    op.drop_index(op.f("ix_providers_key_id"), table_name="providers", schema="providers")
    op.drop_table("providers", schema="providers")
