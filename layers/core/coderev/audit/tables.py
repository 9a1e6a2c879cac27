"""The `audits.events` table: what the Alembic migrations must produce (a test compares).

Shared by `coderev.audit.sql_repository` (which queries it) and `coderev.migrations.runner`
(which compares the database with it); it imports neither.

This module imports SQLAlchemy; `coderev.audit` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from coderev.analyses.tables import NAMING_CONVENTION
from coderev.audit.model import MAX_ID_LENGTH, MAX_LENGTHS

__all__ = ["LOGICAL_SCHEMA", "events", "metadata"]

LOGICAL_SCHEMA = "audits"

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

events = sa.Table(
    "events",
    metadata,
    # INTEGER PRIMARY KEY is SQLite's auto-incrementing rowid; BIGSERIAL on PostgreSQL
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    sa.Column("event_id", sa.String(MAX_LENGTHS["id"]), nullable=False),
    sa.Column("source", sa.String(MAX_LENGTHS["source"]), nullable=False),
    sa.Column("type", sa.String(MAX_LENGTHS["type"]), nullable=False, index=True),
    sa.Column("subject", sa.String(MAX_LENGTHS["subject"]), nullable=True, index=True),
    sa.Column("time", sa.DateTime(timezone=True), nullable=True),
    sa.Column("analysis_id", sa.String(MAX_ID_LENGTH), nullable=True, index=True),
    sa.Column("tenant_id", sa.String(MAX_ID_LENGTH), nullable=True, index=True),
    sa.Column("actor_id", sa.String(MAX_ID_LENGTH), nullable=True, index=True),
    sa.Column("event", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.UniqueConstraint("source", "event_id", name="uq_events_source_event_id"),
    schema=LOGICAL_SCHEMA,
)
