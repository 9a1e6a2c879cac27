"""Analysis records in SQL: SQLite (the embedded default) or PostgreSQL (`DATABASE_URL`).

The table lives in the `projects` schema on PostgreSQL (DESIGN.md's schemas). SQLite has no
schemas, so the schema is mapped away with `schema_translate_map`; the same map lets a test
put the table in a schema of its own. The table is made by the Alembic migrations in
`coderev.migrations` (`open_repository` builds a repository with them run, `create_tables`
runs them for one); `analyses` (in `coderev.analyses.tables`, re-exported here with the
database helpers of `coderev.analyses.database`) is what they must produce. What the
repositories share (the Engine, the schema map, the times) is `coderev.sql.SqlRepository`.

Times are stored in UTC. SQLite keeps them as naive text, so they are made aware again when
read; PostgreSQL keeps `timestamptz` and returns them in the session's zone, read as UTC.
Only SQLite and PostgreSQL are supported: creating a record relies on
`INSERT ... ON CONFLICT DO NOTHING`, which both have and which makes concurrent ingests of
one object create one record.

This module imports SQLAlchemy; `coderev.analyses` does not import this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from coderev.analyses.database import create_database_engine, database_url
from coderev.analyses.errors import (
    AnalysisNotFoundError,
    AnalysisStoreError,
    InvalidTransitionError,
)
from coderev.analyses.model import (
    AnalysisPage,
    AnalysisQuery,
    AnalysisRecord,
    AnalysisStatus,
    NewAnalysis,
    Ownership,
    decode_cursor,
    encode_cursor,
    reservation_key,
)
from coderev.analyses.tables import LOGICAL_SCHEMA, NAMING_CONVENTION, analyses, metadata
from coderev.sql import SqlRepository, read_time

__all__ = [
    "LOGICAL_SCHEMA",
    "NAMING_CONVENTION",
    "SqlAnalysisRepository",
    "analyses",
    "create_database_engine",
    "database_url",
    "metadata",
]


class SqlAnalysisRepository(SqlRepository):
    """AnalysisRepository on an SQLAlchemy Engine (SQLite or PostgreSQL), in `projects`."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = AnalysisStoreError
    TIMES_OF = "analysis record"

    # --- AnalysisRepository -------------------------------------------------------------------

    def create_if_absent(self, new: NewAnalysis) -> tuple[AnalysisRecord, bool]:
        now = self._now()
        key = new.idempotency_key
        row = self._new_row(new, key, now)
        # RETURNING, not rowcount: psycopg reports no count for a skipped conflict
        insert = (
            self._insert(analyses)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(analyses.c.id)
        )
        with self._engine.begin() as conn:
            created = self._claim(conn, new, key, now) or conn.execute(insert).first() is not None
            stored = (
                conn.execute(sa.select(analyses).where(analyses.c.idempotency_key == key))
                .mappings()
                .one()
            )
        return _record(stored), created

    def reserve(self, new: NewAnalysis) -> AnalysisRecord:
        key = reservation_key(new.bucket, new.object_key)
        row = self._new_row(replace(new, etag="", version_id=None), key, self._now())
        insert = (
            self._insert(analyses)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        with self._engine.begin() as conn:
            conn.execute(insert)
            stored = (
                conn.execute(sa.select(analyses).where(analyses.c.idempotency_key == key))
                .mappings()
                .one()
            )
        return _record(stored)

    def _claim(self, conn: Connection, new: NewAnalysis, key: str, now: datetime) -> bool:
        """Give this version the record reserved for its key, if one waits (see the port).

        Not when this version already has a record, nor for a notification without an etag.
        Two claimers of one row: the second's UPDATE matches nothing once the first's commits
        (PostgreSQL re-checks the WHERE on the updated row; SQLite serializes writers).
        """
        if not new.etag:
            return False
        exists = sa.select(analyses.c.id).where(analyses.c.idempotency_key == key)
        if conn.execute(exists).first() is not None:
            return False
        claimed = conn.execute(
            sa.update(analyses)
            .where(
                analyses.c.idempotency_key == reservation_key(new.bucket, new.object_key),
                analyses.c.etag == "",
                analyses.c.status == AnalysisStatus.QUEUED.value,
            )
            .values(idempotency_key=key, etag=new.etag, version_id=new.version_id, updated_at=now)
        ).rowcount
        return bool(claimed)

    def release_reservation(self, analysis_id: str) -> bool:
        """Rekey an unclaimed reservation (`released:<id>`), which no `_claim` looks for."""
        with self._engine.begin() as conn:
            released = conn.execute(
                sa.update(analyses)
                .where(
                    analyses.c.id == analysis_id,
                    analyses.c.etag == "",
                    analyses.c.status == AnalysisStatus.QUEUED.value,
                )
                .values(idempotency_key=f"released:{analysis_id}")
            ).rowcount
        return bool(released)

    @staticmethod
    def _new_row(new: NewAnalysis, key: str, now: datetime) -> dict[str, Any]:
        owner = new.owner or Ownership()
        return {
            "id": str(uuid.uuid4()),
            "idempotency_key": key,
            "project_id": new.project_id,
            "tenant_id": new.tenant_id,
            "version_ref": owner.ref,
            "version_commit": owner.commit,
            "version_label": owner.label,
            "uploaded_by": owner.uploaded_by,
            "baseline_id": owner.baseline_id,
            "bucket": new.bucket,
            "object_key": new.object_key,
            "etag": new.etag,
            "version_id": new.version_id,
            "status": AnalysisStatus.QUEUED.value,
            "report_keys": {},
            "counts": {},
            "created_at": now,
            "updated_at": now,
        }

    def get(self, analysis_id: str) -> AnalysisRecord | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(sa.select(analyses).where(analyses.c.id == analysis_id))
                .mappings()
                .one_or_none()
            )
        return None if row is None else _record(row)

    def update_status(
        self,
        analysis_id: str,
        status: AnalysisStatus,
        *,
        error: str | None = None,
        cause: str | None = None,
        execution_id: str | None = None,
        report_keys: Mapping[str, str] | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> AnalysisRecord:
        values: dict[str, Any] = {
            "status": status.value,
            "error": error,
            "cause": cause,
            "updated_at": self._now(),
        }
        if execution_id is not None:
            values["execution_id"] = execution_id
        if report_keys is not None:
            values["report_keys"] = dict(report_keys)
        if counts is not None:
            values["counts"] = dict(counts)
        allowed = sorted(s.value for s in status.predecessors())
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(analyses)
                .where(analyses.c.id == analysis_id, analyses.c.status.in_(allowed))
                .values(**values)
            ).rowcount
            row = (
                conn.execute(sa.select(analyses).where(analyses.c.id == analysis_id))
                .mappings()
                .one_or_none()
            )
        if row is None:
            raise AnalysisNotFoundError(analysis_id)
        if changed == 0:
            raise InvalidTransitionError(analysis_id, AnalysisStatus(row["status"]), status)
        return _record(row)

    def list(
        self,
        *,
        status: AnalysisStatus | None = None,
        project_id: str | None = None,
        created_before: datetime | None = None,
        limit: int = 100,
    ) -> list[AnalysisRecord]:
        query = sa.select(analyses)
        if status is not None:
            query = query.where(analyses.c.status == status.value)
        if project_id is not None:
            query = query.where(analyses.c.project_id == project_id)
        if created_before is not None:
            query = query.where(analyses.c.created_at < self._utc(created_before))
        query = query.order_by(analyses.c.created_at.desc(), analyses.c.id.desc())
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(max(0, limit))).mappings().all()
        return [_record(r) for r in rows]

    # --- a tenant's view: every query below is bounded to one tenant's rows -------------------

    def find(self, tenant_id: str, analysis_id: str) -> AnalysisRecord | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(analyses).where(
                        analyses.c.id == analysis_id, analyses.c.tenant_id == tenant_id
                    )
                )
                .mappings()
                .one_or_none()
            )
        return None if row is None else _record(row)

    def page(self, query: AnalysisQuery) -> AnalysisPage:
        c = analyses.c
        select = sa.select(analyses).where(c.tenant_id == query.tenant_id)
        equal = {c.project_id: query.project_id, c.version_ref: query.ref,
                 c.version_commit: query.commit, c.version_label: query.label,
                 c.uploaded_by: query.uploaded_by,
                 c.status: None if query.status is None else query.status.value}  # fmt: skip
        for column, value in equal.items():
            if value is not None:
                select = select.where(column == value)
        if query.created_after is not None:
            select = select.where(c.created_at >= self._utc(query.created_after))
        if query.created_before is not None:
            select = select.where(c.created_at < self._utc(query.created_before))
        if query.after is not None:
            created, last_id = decode_cursor(query.after)
            moment = self._utc(created)
            select = select.where(
                sa.or_(c.created_at < moment, sa.and_(c.created_at == moment, c.id < last_id))
            )
        limit = max(1, query.limit)
        select = select.order_by(c.created_at.desc(), c.id.desc()).limit(limit + 1)
        with self._engine.connect() as conn:
            rows = conn.execute(select).mappings().all()
        records = [_record(r) for r in rows[:limit]]
        more = len(rows) > limit
        return AnalysisPage(records, encode_cursor(records[-1]) if more and records else None)

    def pending_uploads(self, tenant_id: str) -> int:
        """How many presigned uploads of the tenant wait for their archive (QUEUED, no etag)."""
        c = analyses.c
        select = (
            sa.select(sa.func.count())
            .select_from(analyses)
            .where(c.tenant_id == tenant_id, c.status == AnalysisStatus.QUEUED.value, c.etag == "")
        )
        with self._engine.connect() as conn:
            return int(conn.execute(select).scalar_one())

    def delete_older_than(
        self, cutoff: datetime, *, statuses: Collection[AnalysisStatus] | None = None
    ) -> int:
        statement = sa.delete(analyses).where(analyses.c.updated_at < self._utc(cutoff))
        if statuses is not None:
            statement = statement.where(analyses.c.status.in_([s.value for s in statuses]))
        with self._engine.begin() as conn:
            return int(conn.execute(statement).rowcount)


def _record(row: RowMapping) -> AnalysisRecord:
    return AnalysisRecord(
        id=row["id"],
        idempotency_key=row["idempotency_key"],
        bucket=row["bucket"],
        object_key=row["object_key"],
        etag=row["etag"],
        version_id=row["version_id"],
        status=AnalysisStatus(row["status"]),
        created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]),
        project_id=row["project_id"],
        tenant_id=row["tenant_id"],
        owner=Ownership(
            row["version_ref"],
            row["version_commit"],
            row["version_label"],
            row["uploaded_by"],
            row["baseline_id"],
        ),
        execution_id=row["execution_id"],
        error=row["error"],
        cause=row["cause"],
        report_keys={str(k): str(v) for k, v in (row["report_keys"] or {}).items()},
        counts={str(k): int(v) for k, v in (row["counts"] or {}).items()},
    )
