"""The audit trail in SQL: table `events` in the `audits` schema, SQLite or PostgreSQL.

The same database as the analysis records (`DATABASE_URL`, else SQLite under the data dir).
SQLite has no schemas: `audits` is mapped away with `schema_translate_map`, and the same map
lets a test put the table in a schema of its own. The table is made by the Alembic migrations
in `coderev.migrations` (`open_repository` builds a repository with them run, `create_tables`
runs them for one); `events` (in `coderev.audit.tables`, re-exported here) is what they must
produce. What the repositories share (the Engine, the schema map, the times) is
`coderev.sql.SqlRepository`.

An event is kept once per CloudEvents `source` + `id` (a unique constraint):
`INSERT ... ON CONFLICT DO NOTHING` makes a redelivered event, or two consumers recording it
at once, leave one row. Times are stored in UTC and read back timezone-aware.

This module imports SQLAlchemy; `coderev.audit` does not import this module.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from coderev.audit.errors import AuditStoreError
from coderev.audit.model import AuditEntry
from coderev.audit.tables import LOGICAL_SCHEMA, events, metadata
from coderev.sql import SqlRepository, read_time

__all__ = ["LOGICAL_SCHEMA", "SqlAuditRepository", "events", "metadata"]


class SqlAuditRepository(SqlRepository):
    """AuditRepository on an SQLAlchemy Engine (SQLite or PostgreSQL), in `audits`."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = AuditStoreError
    TIMES_OF = "audit"

    # --- AuditRepository ----------------------------------------------------------------------

    def record(self, entry: AuditEntry) -> bool:
        row: dict[str, Any] = {
            "event_id": entry.event_id,
            "source": entry.source,
            "type": entry.type,
            "subject": entry.subject,
            "time": None if entry.time is None else entry.time.astimezone(UTC),
            "analysis_id": entry.analysis_id,
            "tenant_id": entry.tenant_id,
            "actor_id": entry.actor_id,
            "event": dict(entry.event),
            "recorded_at": self._now(),
        }
        # RETURNING, not rowcount: psycopg reports no count for a skipped conflict
        insert = (
            self._insert(events)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(events.c.seq)
        )
        with self._engine.begin() as conn:
            return conn.execute(insert).first() is not None

    def list(
        self, *, type: str | None = None, subject: str | None = None, limit: int = 100,
        tenant_id: str | None = None, actor_id: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        before: int | None = None,
    ) -> list[AuditEntry]:  # fmt: skip
        c = events.c
        query = sa.select(events)
        for column, value in ((c.type, type), (c.subject, subject), (c.tenant_id, tenant_id),
                              (c.actor_id, actor_id)):  # fmt: skip
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(c.recorded_at >= self._utc(since))
        if until is not None:
            query = query.where(c.recorded_at < self._utc(until))
        if before is not None:
            query = query.where(c.seq < before)
        # seq grows with each insert: newest recorded first, and a stable page order
        query = query.order_by(c.seq.desc())
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(max(0, limit))).mappings().all()
        return [_entry(r) for r in rows]


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        event_id=row["event_id"],
        type=row["type"],
        source=row["source"],
        event=dict(row["event"]),
        subject=row["subject"],
        time=None if row["time"] is None else read_time(row["time"]),
        analysis_id=row["analysis_id"],
        tenant_id=row["tenant_id"],
        actor_id=row["actor_id"],
        recorded_at=read_time(row["recorded_at"]),
        seq=int(row["seq"]),
    )
