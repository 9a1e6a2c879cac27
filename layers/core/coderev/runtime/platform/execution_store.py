"""Executions kept in a SQLite file under the data dir, so another process can read them.

`coderev serve` runs the state machines; `coderev executions list/show`, in another process,
reads what they did. The interpreter appends history events to the in-memory `Execution` as
states run and calls `save` only when an execution ends, so this store also keeps the
executions it added and `sync()` writes their new events and status: the platform calls it
every fraction of a second, which is how a running execution's progress becomes visible to
other processes. Inputs, outputs and event details are JSON columns.

Owners. Each execution records the runtime instance that runs it (`RuntimeOwner`: host,
pid, the process's start time, and a heartbeat `sync()` refreshes). A `coderev serve` that
crashed (SIGKILL, power loss) leaves its executions RUNNING with no one to end them, so
`close_orphans()` closes those whose owner is gone: FAILED with `States.Runtime` and the
cause "the coderev serve that ran it stopped (pid N on host H)", an `ExecutionFailed` event
appended to the history, as Step Functions fails an execution its engine can no longer run.
The platform calls it when it starts; `list()` calls it, and `get()` for a RUNNING
execution, so `coderev executions` never shows a dead execution as running.

An owner is gone when, on this machine (same host, boot and process namespace), its process
no longer exists, is a zombie, or is another process that reused the pid (its start time
differs); elsewhere (a data dir shared with a container), or where processes cannot be
inspected, when its heartbeat is older than `lease_seconds`. A live owner's executions are
never closed, whichever process asks: two `coderev serve` on one data dir leave each
other's executions alone.

One connection per call (SQLite connections are not shared across threads); WAL mode lets
readers in other processes read while the platform writes.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from coderev.runtime.states import (
    Execution,
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStatus,
    HistoryEvent,
)
from coderev.sqlite_wal import enable_wal

__all__ = [
    "ORPHAN_ERROR",
    "ProcessProbe",
    "RuntimeOwner",
    "SqliteExecutionStore",
    "orphan_cause",
    "probe_process",
]

ORPHAN_ERROR = "States.Runtime"

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
CREATE TABLE IF NOT EXISTS owners (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    space TEXT,
    pid INTEGER NOT NULL,
    started TEXT,
    heartbeat TEXT NOT NULL
);
"""
_COLUMNS = ("execution_arn, state_machine_arn, name, status, input, output, error, cause, "
            "start_date, stop_date")  # fmt: skip
_CLOSING_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
)


# --- who runs an execution --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcessProbe:
    """What this machine says of a pid: alive (None: cannot tell) and its start time token."""

    alive: bool | None
    started: str | None = None


@dataclass(frozen=True, slots=True)
class RuntimeOwner:
    """One runtime instance: a store object in one process (`id`), on `host`, where `space`
    names the process namespace (boot and pid namespace) in which `pid` means something and
    `started` is that process's start time (None where it cannot be read)."""

    host: str
    pid: int
    started: str | None = None
    space: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def current(cls) -> RuntimeOwner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, probe_process(pid).started, _process_space())

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}"


def orphan_cause(owner: RuntimeOwner | None) -> str:
    """The cause recorded for an execution whose owner is gone."""
    if owner is None:
        return "the coderev serve that ran it stopped (it recorded no owner)"
    return f"the coderev serve that ran it stopped ({owner.describe()})"


def probe_process(pid: int) -> ProcessProbe:
    """Linux: /proc/<pid>/stat (a zombie is dead; the start time tells a reused pid apart).
    Other POSIX systems: signal 0 (alive or not, no start time). Elsewhere: cannot tell."""
    if _proc_available():
        try:
            text = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return ProcessProbe(False)
        except OSError:
            return ProcessProbe(None)
        fields = text[text.rfind(")") + 2 :].split()  # after "pid (comm) "
        if len(fields) < 20:
            return ProcessProbe(None)
        if fields[0] in ("Z", "X", "x"):  # zombie or dead: it will never run again
            return ProcessProbe(False)
        return ProcessProbe(True, fields[19])  # field 22: start time in clock ticks
    if os.name != "posix":  # Windows' os.kill(pid, 0) would terminate the process
        return ProcessProbe(None)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return ProcessProbe(False)
    except PermissionError:
        return ProcessProbe(True)
    except OSError:
        return ProcessProbe(None)
    return ProcessProbe(True)


@cache
def _proc_available() -> bool:
    return sys.platform.startswith("linux") and Path("/proc/self/stat").is_file()


@cache
def _process_space() -> str | None:
    """This boot and pid namespace (Linux); pids of one space mean nothing in another."""
    if not _proc_available():
        return None
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}"


# --- the store --------------------------------------------------------------------------------


class SqliteExecutionStore:
    """An ExecutionStore in one SQLite file; see the module docstring for `sync` and owners.

    `owner` (default: this process, when it first adds an execution), `probe` (how a pid is
    inspected), `clock` and `lease_seconds` are injectable for tests. `durable=False`: commits
    do not wait for the disk (SQLite's synchronous=OFF), for a data dir removed with its
    process (coderev.runtime.platform.ephemeral).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        owner: RuntimeOwner | None = None,
        probe: Callable[[int], ProcessProbe] = probe_process,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease_seconds: float = 60.0,
        durable: bool = True,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._durable = durable
        self._lock = threading.Lock()
        self._live: dict[str, Execution] = {}
        self._written: dict[str, int] = {}  # events of a live execution already written
        self._owner = owner
        self._registered = False
        self._probe = probe
        self._clock = clock
        self._lease = timedelta(seconds=lease_seconds)
        self._beat: datetime | None = None
        with self._connect() as db:
            enable_wal(db, 30)
            db.executescript(_SCHEMA)
            _add_owner_column(db)

    @property
    def owner(self) -> RuntimeOwner:
        """This store's runtime instance (the one its `add`s record)."""
        if self._owner is None:
            self._owner = RuntimeOwner.current()
        return self._owner

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        if not self._durable:
            db.execute("PRAGMA synchronous=OFF")
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, execution: Execution) -> None:
        with self._lock, self._connect() as db:
            self._register(db)
            try:
                db.execute(
                    f"INSERT INTO executions ({_COLUMNS}, owner_id) "  # noqa: S608 - constants
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*_row(execution), self.owner.id),
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
        found = self._read(execution_arn)
        if found.status is ExecutionStatus.RUNNING and self.close_orphans([execution_arn]):
            found = self._read(execution_arn)
        return found

    def _read(self, execution_arn: str) -> Execution:
        with self._connect() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM executions WHERE execution_arn = ?",  # noqa: S608
                (execution_arn,),
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
        """Write the new events of every execution of this process; forget the ended ones;
        refresh this owner's heartbeat when a quarter of the lease has passed.

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
            now = self._clock()
            if self._registered and (self._beat is None or now - self._beat >= self._lease / 4):
                with self._connect() as db:
                    db.execute("UPDATE owners SET heartbeat = ? WHERE id = ?",
                               (now.isoformat(), self.owner.id))  # fmt: skip
                self._beat = now

    def list(
        self, state_machine_arn: str | None = None, status: ExecutionStatus | None = None
    ) -> list[Execution]:
        """Executions in start order (without their history, as ListExecutions); those whose
        owner is gone are closed first."""
        self.close_orphans()
        query, args = f"SELECT {_COLUMNS} FROM executions WHERE 1=1", []  # noqa: S608
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

    def delete_ended_before(self, cutoff: datetime, *, dry_run: bool = False) -> int:
        """Delete (or, `dry_run`, count) the executions that ended before `cutoff`, with their
        history: Step Functions keeps an ended execution's history for 90 days; here the
        platform's retention decides. Running ones are never touched."""
        where = "status != 'RUNNING' AND stop_date IS NOT NULL AND stop_date < ?"
        with self._connect() as db:
            arns = [row[0] for row in db.execute(
                f"SELECT execution_arn FROM executions WHERE {where}",  # noqa: S608
                (cutoff.isoformat(),))]  # fmt: skip
            if not dry_run:
                db.executemany("DELETE FROM history_events WHERE execution_arn = ?",
                               [(arn,) for arn in arns])  # fmt: skip
                db.executemany("DELETE FROM executions WHERE execution_arn = ?",
                               [(arn,) for arn in arns])  # fmt: skip
        return len(arns)

    def close_orphans(self, execution_arns: Collection[str] | None = None) -> builtins.list[str]:
        """Close the RUNNING executions (of `execution_arns`, else all) whose owner is gone;
        returns their ARNs. See the module docstring."""
        query = (
            "SELECT e.execution_arn, e.owner_id, o.host, o.pid, o.started, o.space, o.heartbeat "
            "FROM executions e LEFT JOIN owners o ON o.id = e.owner_id WHERE e.status = ?"
        )
        args: list[Any] = [ExecutionStatus.RUNNING.value]
        if execution_arns is not None:
            arns = list(execution_arns)
            query += f" AND e.execution_arn IN ({', '.join('?' * len(arns))})"
            args += arns
        with self._connect() as db:
            rows = db.execute(query, args).fetchall()
        with self._lock:
            live = set(self._live)
        now = self._clock()
        verdicts: dict[str | None, bool] = {}
        closed: builtins.list[str] = []
        for arn, owner_id, host, pid, started, space, heartbeat in rows:
            if arn in live:
                continue
            owner = None if host is None else RuntimeOwner(host, pid, started, space, owner_id)
            if owner_id not in verdicts:
                verdicts[owner_id] = self._alive(owner, heartbeat, now)
            if not verdicts[owner_id] and self._close(arn, orphan_cause(owner), now):
                closed.append(arn)
        return closed

    def _alive(self, owner: RuntimeOwner | None, heartbeat: str | None, now: datetime) -> bool:
        if owner is None:  # written before owners were recorded: no one can still run it
            return False
        here = self.owner
        if owner.id == here.id:
            return True
        if owner.host == here.host and owner.space == here.space:
            probe = self._probe(owner.pid)
            if probe.alive is False:
                return False
            if probe.alive and owner.started is not None and probe.started is not None:
                return probe.started == owner.started
        # elsewhere, or not inspectable: the heartbeat decides
        return heartbeat is not None and now - datetime.fromisoformat(heartbeat) < self._lease

    def _close(self, execution_arn: str, cause: str, now: datetime) -> bool:
        """FAILED with ORPHAN_ERROR and `cause`, and the ExecutionFailed event, in one
        transaction; False when it was no longer RUNNING (closed meanwhile)."""
        with self._connect() as db:
            updated = db.execute(
                "UPDATE executions SET status = ?, error = ?, cause = ?, stop_date = ? "
                "WHERE execution_arn = ? AND status = ?",
                (ExecutionStatus.FAILED.value, ORPHAN_ERROR, cause, now.isoformat(),
                 execution_arn, ExecutionStatus.RUNNING.value),
            ).rowcount  # fmt: skip
            if not updated:
                return False
            (last,) = db.execute(
                "SELECT COALESCE(MAX(id), 0) FROM history_events WHERE execution_arn = ?",
                (execution_arn,),
            ).fetchone()
            details = {"error": ORPHAN_ERROR, "cause": cause}
            db.execute(
                "INSERT INTO history_events VALUES (?, ?, ?, ?, ?, ?)",
                (execution_arn, last + 1, last, now.isoformat(), "ExecutionFailed",
                 json.dumps(details)),
            )  # fmt: skip
        return True

    def _register(self, db: sqlite3.Connection) -> None:
        if self._registered:
            return
        owner, now = self.owner, self._clock()
        db.execute(
            "INSERT OR REPLACE INTO owners VALUES (?, ?, ?, ?, ?, ?)",
            (owner.id, owner.host, owner.space, owner.pid, owner.started, now.isoformat()),
        )
        self._registered, self._beat = True, now

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


def _add_owner_column(db: sqlite3.Connection) -> None:
    """Files written before owners were recorded get the column (concurrent openers race)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(executions)")}
    if "owner_id" in columns:
        return
    try:
        db.execute("ALTER TABLE executions ADD COLUMN owner_id TEXT")
    except sqlite3.OperationalError as exc:
        if "duplicate column" not in str(exc):
            raise


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
