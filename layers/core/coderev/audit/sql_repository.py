"""The audit trail in SQL: table `events` in the `audits` schema, SQLite or PostgreSQL.

The same database as the analysis records (`DATABASE_URL`, else SQLite under the data dir).
SQLite has no schemas: `audits` is mapped away with `schema_translate_map`, and the same map
lets a test put the table in a schema of its own. The table is made by the Alembic migrations
in `coderev.migrations` (`create_tables` runs them); `events` (in `coderev.audit.tables`,
re-exported here) is what they must produce.

An event is kept once per CloudEvents `source` + `id` (a unique constraint):
`INSERT ... ON CONFLICT DO NOTHING` makes a redelivered event, or two consumers recording it
at once, leave one row. Times are stored in UTC and read back timezone-aware.

This module imports SQLAlchemy; `coderev.audit` does not import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine, RowMapping

from coderev.analyses.database import SUPPORTED, create_database_engine
from coderev.audit.errors import AuditStoreError
from coderev.audit.model import AuditEntry
from coderev.audit.tables import LOGICAL_SCHEMA, events, metadata
from coderev.migrations import upgrade

__all__ = ["LOGICAL_SCHEMA", "SqlAuditRepository", "events", "metadata"]


class SqlAuditRepository:
    """AuditRepository on an SQLAlchemy Engine (SQLite or PostgreSQL).

    `schema`: where the table is on PostgreSQL (tests give each run a schema of its own).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        schema: str = LOGICAL_SCHEMA,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.dialect = engine.dialect.name
        if self.dialect not in SUPPORTED:
            raise AuditStoreError(f"database backend {self.dialect!r} is not supported")
        self.schema: str | None = None if self.dialect == "sqlite" else schema
        self._engine = engine.execution_options(schema_translate_map={LOGICAL_SCHEMA: self.schema})
        self._base_engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_url(cls, url: str, *, create_tables: bool = True) -> SqlAuditRepository:
        repository = cls(create_database_engine(url))
        if create_tables:
            repository.create_tables()
        return repository

    def create_tables(self) -> None:
        """Bring the database's tables up to date (the Alembic migrations, idempotent).

        A `schema` other than `audits` holds every table of the database (a test's own).
        """
        sandbox = None if self.schema in (None, LOGICAL_SCHEMA) else self.schema
        upgrade(self._base_engine, schema=sandbox)

    def close(self) -> None:
        self._base_engine.dispose()

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
            "event": dict(entry.event),
            "recorded_at": _utc(self._clock()),
        }
        # RETURNING, not rowcount: psycopg reports no count for a skipped conflict
        insert = (
            self._insert()
            .values(**row)
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(events.c.seq)
        )
        with self._engine.begin() as conn:
            return conn.execute(insert).first() is not None

    def list(
        self, *, type: str | None = None, subject: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        query = sa.select(events)
        if type is not None:
            query = query.where(events.c.type == type)
        if subject is not None:
            query = query.where(events.c.subject == subject)
        query = query.order_by(events.c.recorded_at.desc(), events.c.seq.desc())
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(max(0, limit))).mappings().all()
        return [_entry(r) for r in rows]

    # --- internals ----------------------------------------------------------------------------

    def _insert(self) -> Any:
        if self.dialect == "postgresql":
            return postgresql.insert(events)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(events)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC)


def _read_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        event_id=row["event_id"],
        type=row["type"],
        source=row["source"],
        event=dict(row["event"]),
        subject=row["subject"],
        time=_read_time(row["time"]),
        analysis_id=row["analysis_id"],
        tenant_id=row["tenant_id"],
        recorded_at=_read_time(row["recorded_at"]),
    )
