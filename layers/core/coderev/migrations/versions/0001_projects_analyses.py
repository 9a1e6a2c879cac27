"""projects.analyses: the analysis records, as `create_all` made them before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-03-01

A database made by `create_all` is stamped at this revision (coderev.migrations adopts it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coderev.migrations.runner import ensure_schema

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    ensure_schema("projects")
    op.create_table(
        "analyses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("project_id", sa.String(64), nullable=True),
        sa.Column("bucket", sa.String(255), nullable=False),
        sa.Column("object_key", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(255), nullable=False),
        sa.Column("version_id", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("execution_id", sa.String(2048), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("report_keys", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyses")),
        sa.CheckConstraint(
            "status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')",
            name=op.f("ck_analyses_status"),
        ),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_analyses_idempotency_key")),
        schema="projects",
    )
    for column in ("project_id", "created_at", "updated_at"):
        op.create_index(op.f(f"ix_analyses_{column}"), "analyses", [column], schema="projects")


def downgrade() -> None:
    op.drop_table("analyses", schema="projects")
