"""Executions kept in a SQLite file under the data dir, so another process can read them.

`coderev serve` runs the state machines; `coderev executions list/show`, in another process,
reads what they did. The interpreter appends history events to the in-memory `Execution` as
states run and calls `save` only when an execution ends, so this store also keeps the
executions it added and `sync()` writes their new events and status: the platform calls it
every fraction of a second, which is how a running execution's progress becomes visible to
other processes. Inputs, outputs and event details are JSON columns.

One connection per call (SQLite connections are not shared across threads); WAL mode lets
readers in other processes read while the platform writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from coderev.runtime.states import (
    Execution,
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStatus,
    HistoryEvent,
)

__all__ = ["SqliteExecutionStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    execution_arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date TEXT NOT NULL,
    stop_date TEXT
);
CREATE INDEX IF NOT EXISTS executions_by_start ON executions (start_date);
CREATE TABLE IF NOT EXISTS history_events (
    execution_arn TEXT NOT NULL REFERENCES executions (execution_arn),
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    type TEXT NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
);
"""
_CLOSING_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)


class SqliteExecutionStore:
    """An ExecutionStore in one SQLite file; see the module docstring for `sync`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._live: dict[str, Execution] = {}
        self._written: dict[str, int] = {}  # events of a live execution already written
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, execution: Execution) -> None:
        with self._lock, self._connect() as db:
            try:
                db.execute(
                    "INSERT INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _row(execution),
                )
            except sqlite3.IntegrityError:
                raise ExecutionAlreadyExistsError(execution.execution_arn) from None
            self._live[execution.execution_arn] = execution
            self._written[execution.execution_arn] = 0

    def get(self, execution_arn: str) -> Execution:
        with self._lock:
            live = self._live.get(execution_arn)
        if live is not None:
            return live
        with self._connect() as db:
            row = db.execute(
                "SELECT * FROM executions WHERE execution_arn = ?", (execution_arn,)
            ).fetchone()
            if row is None:
                raise ExecutionNotFoundError(execution_arn)
            events = db.execute(
                "SELECT id, previous_event_id, timestamp, type, details FROM history_events "
                "WHERE execution_arn = ? ORDER BY id",
                (execution_arn,),
            ).fetchall()
        return _execution(row, events)

    def save(self, execution: Execution) -> None:
        """Write the execution's status and every event not yet written."""
        with self._lock:
            self._write(execution)

    def sync(self) -> None:
        """Write the new events of every execution of this process; forget the ended ones.

        The interpreter saves an ended execution *before* it records the closing event
        (ExecutionSucceeded...), so an execution is let go only once that event is written.
        """
        with self._lock:
            for arn, execution in list(self._live.items()):
                self._write(execution)
                last = execution.events()[-1:]
                if last and last[0].type in _CLOSING_EVENTS:
                    del self._live[arn]
                    del self._written[arn]

    def list(
        self, state_machine_arn: str | None = None, status: ExecutionStatus | None = None
    ) -> list[Execution]:
        """Executions in start order (without their history, as ListExecutions)."""
        query, args = "SELECT * FROM executions WHERE 1=1", []
        if state_machine_arn is not None:
            query += " AND state_machine_arn = ?"
            args.append(state_machine_arn)
        if status is not None:
            query += " AND status = ?"
            args.append(status.value)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY start_date, rowid", args).fetchall()
        with self._lock:
            live = dict(self._live)
        return [live.get(row[0]) or _execution(row, []) for row in rows]

    def _write(self, execution: Execution) -> None:
        arn = execution.execution_arn
        events = execution.events()
        start = self._written.get(arn, 0)
        with self._connect() as db:
            db.execute(
                "UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, "
                "stop_date = ? WHERE execution_arn = ?",
                (execution.status.value, _dumps(execution.output), execution.error,
                 execution.cause, _date(execution.stop_date), arn),
            )  # fmt: skip
            db.executemany(
                "INSERT OR IGNORE INTO history_events VALUES (?, ?, ?, ?, ?, ?)",
                [(arn, e.id, e.previous_event_id, e.timestamp.isoformat(), e.type,
                  json.dumps(e.details, default=str)) for e in events[start:]],
            )  # fmt: skip
        if arn in self._written:
            self._written[arn] = len(events)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def _date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _row(execution: Execution) -> tuple[Any, ...]:
    return (
        execution.execution_arn,
        execution.state_machine_arn,
        execution.name,
        execution.status.value,
        _dumps(execution.input),
        _dumps(execution.output),
        execution.error,
        execution.cause,
        _date(execution.start_date),
        _date(execution.stop_date),
    )


def _execution(row: tuple[Any, ...], events: list[tuple[Any, ...]]) -> Execution:
    arn, machine, name, status, input_, output, error, cause, start, stop = row
    return Execution(
        execution_arn=arn,
        state_machine_arn=machine,
        name=name,
        input=json.loads(input_),
        start_date=datetime.fromisoformat(start),
        status=ExecutionStatus(status),
        output=None if output is None else json.loads(output),
        error=error,
        cause=cause,
        stop_date=None if stop is None else datetime.fromisoformat(stop),
        history=[
            HistoryEvent(id_, previous, datetime.fromisoformat(when), type_, json.loads(details))
            for id_, previous, when, type_, details in events
        ],
    )
