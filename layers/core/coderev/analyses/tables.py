"""The `projects.analyses` table: what the Alembic migrations must produce (a test compares).

Shared by `coderev.analyses.sql_repository` (which queries it) and `coderev.migrations.runner`
(which compares the database with it); it imports neither. `NAMING_CONVENTION` names the
constraints and indexes of every table of coderev's databases.

This module imports SQLAlchemy; `coderev.analyses` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa

from coderev.analyses.model import AnalysisStatus

__all__ = ["LOGICAL_SCHEMA", "NAMING_CONVENTION", "analyses", "metadata"]

LOGICAL_SCHEMA = "projects"

# Constraint and index names every table of coderev's databases shares (the migrations too).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), nullable=True, index=True),
    # the owner (migration 0006 adopted older records into the default tenant and project)
    sa.Column("tenant_id", sa.String(64), nullable=False, server_default="default", index=True),
    sa.Column("version_ref", sa.String(255), nullable=True),
    sa.Column("version_commit", sa.String(255), nullable=True),
    sa.Column("version_label", sa.String(255), nullable=True),
    sa.Column("uploaded_by", sa.String(255), nullable=True),
    sa.Column("baseline_id", sa.String(36), nullable=True),  # the analysis it was compared with
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
    sa.CheckConstraint(
        "status IN ({})".format(", ".join(f"'{s.value}'" for s in AnalysisStatus)),
        name="status",
    ),
    schema=LOGICAL_SCHEMA,
)
