"""The `projects.analyses` table as `create_all` made it before the migrations (revision 0001's
shape), frozen here: the models have grown since (migration 0006: owner and version), and the
adoption tests need the table an old release left behind, not today's."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from coderev.analyses.tables import NAMING_CONVENTION

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), nullable=True, index=True),
    sa.Column("bucket", sa.String(255), nullable=False),
    sa.Column("object_key", sa.String(1024), nullable=False),
    sa.Column("etag", sa.String(255), nullable=False),
    sa.Column("version_id", sa.String(1024), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("execution_id", sa.String(2048), nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("cause", sa.Text, nullable=True),
    sa.Column("report_keys", sa.JSON, nullable=False),
    sa.Column("counts", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.CheckConstraint("status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED')", name="status"),
    schema="projects",
)


def insert_legacy_record(conn: sa.Connection, record_id: str, project_id: str | None) -> None:
    """A record as the old release wrote it (its `project_id` free text, or none)."""
    now = datetime(2026, 1, 1, tzinfo=UTC)
    conn.execute(sa.insert(analyses).values(
        id=record_id, idempotency_key=record_id.ljust(64, "0"), project_id=project_id,
        bucket="b", object_key=f"uploads/{record_id}.zip", etag="e", status="SUCCEEDED",
        report_keys={"json": f"reports/{record_id}/report.json"}, counts={"findings": 3},
        created_at=now, updated_at=now,
    ))  # fmt: skip
