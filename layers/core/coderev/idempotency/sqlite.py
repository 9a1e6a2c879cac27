"""A Powertools idempotency persistence layer on SQLite: the embedded default.

Same contract as Powertools' DynamoDB and Redis layers: `_put_record` inserts an INPROGRESS
record unless a live one exists — a COMPLETED record not yet expired, or an INPROGRESS record
whose in-progress expiry (milliseconds) is still ahead — and then raises
`IdempotencyItemAlreadyExistsError` carrying that record. The check and the write happen in
one `BEGIN IMMEDIATE` transaction, so two processes sharing the file cannot both proceed.

One connection per thread (sqlite3 connections are not shared across threads); WAL and a
busy timeout let processes share the file. Nothing is opened until the first record.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)

from coderev.sqlite_wal import enable_wal

__all__ = ["SqlitePersistenceLayer"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_records (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiration INTEGER,
    in_progress_expiration INTEGER,
    data TEXT NOT NULL DEFAULT '',
    validation TEXT NOT NULL DEFAULT ''
)
"""
_COLUMNS = "id, status, expiration, in_progress_expiration, data, validation"


class SqlitePersistenceLayer(BasePersistenceLayer):
    """Idempotency records in one SQLite file (`:memory:` is per thread; tests use files)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.path = Path(path)
        self._local = threading.local()
        self._ready = False
        self._ready_lock = threading.Lock()

    # --- BasePersistenceLayer -------------------------------------------------------------

    def _get_record(self, idempotency_key: str) -> DataRecord:
        row = (
            self._connection()
            .execute(
                f"SELECT {_COLUMNS} FROM idempotency_records WHERE id = ?",  # noqa: S608
                (idempotency_key,),
            )
            .fetchone()
        )
        if row is None:
            raise IdempotencyItemNotFoundError
        return _record(row)

    def _put_record(self, data_record: DataRecord) -> None:
        conn = self._connection()
        now_s, now_ms = int(time.time()), int(time.time() * 1000)
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM idempotency_records WHERE id = ?",  # noqa: S608
                (data_record.idempotency_key,),
            ).fetchone()
            if row is not None and _live(_record(row), now_s, now_ms):
                conn.execute("ROLLBACK")
                raise IdempotencyItemAlreadyExistsError(
                    f"Failed to put record for already existing idempotency key: "
                    f"{data_record.idempotency_key}",
                    old_data_record=_record(row),
                )
            conn.execute(
                f"INSERT OR REPLACE INTO idempotency_records ({_COLUMNS}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?)",
                _row(data_record, validation=self.payload_validation_enabled),
            )
            conn.execute("COMMIT")
        except IdempotencyItemAlreadyExistsError:
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _update_record(self, data_record: DataRecord) -> None:
        conn = self._connection()
        conn.execute(
            "UPDATE idempotency_records SET status = ?, expiration = ?, data = ? WHERE id = ?",
            (
                data_record.status,
                data_record.expiry_timestamp,
                data_record.response_data,
                data_record.idempotency_key,
            ),
        )

    def _delete_record(self, data_record: DataRecord) -> None:
        self._connection().execute(
            "DELETE FROM idempotency_records WHERE id = ?", (data_record.idempotency_key,)
        )

    # --- housekeeping ---------------------------------------------------------------------

    def delete_expired(self, now: float | None = None) -> int:
        """Delete records past their expiry (SQLite has no TTL); how many went."""
        cursor = self._connection().execute(
            "DELETE FROM idempotency_records WHERE expiration IS NOT NULL AND expiration < ?",
            (int(time.time() if now is None else now),),
        )
        return int(cursor.rowcount)

    # --- internals ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit mode: transactions are explicit (BEGIN IMMEDIATE) where they matter
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            with self._ready_lock:
                if not self._ready:
                    enable_wal(conn, 30)
                    conn.execute(_SCHEMA)
                    self._ready = True
            self._local.conn = conn
        return conn


def _live(record: DataRecord, now_s: int, now_ms: int) -> bool:
    if record.expiry_timestamp is not None and record.expiry_timestamp < now_s:
        return False
    if record.status == STATUS_CONSTANTS["INPROGRESS"]:
        expiry = record.in_progress_expiry_timestamp
        return expiry is None or expiry > now_ms
    return True


def _record(row: tuple[str, str, int | None, int | None, str, str]) -> DataRecord:
    key, status, expiration, in_progress, data, validation = row
    return DataRecord(
        idempotency_key=key,
        status=status,
        expiry_timestamp=expiration,
        in_progress_expiry_timestamp=in_progress,
        response_data=data,
        payload_hash=validation,
    )


def _row(record: DataRecord, *, validation: bool) -> tuple[object, ...]:
    return (
        record.idempotency_key,
        record.status,
        record.expiry_timestamp,
        record.in_progress_expiry_timestamp,
        record.response_data,
        record.payload_hash if validation else "",
    )
