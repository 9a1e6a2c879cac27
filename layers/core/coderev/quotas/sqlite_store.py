"""QuotaStore embedded: SQLite counters, one write transaction per check.

Each check runs in `BEGIN IMMEDIATE`, which takes SQLite's write lock before reading, so two
processes sharing the file cannot both read the same counter and both spend it: the second
waits (up to `busy_timeout_s`) and reads what the first wrote. Threads of one process share
one connection behind a lock (sqlite3 connections must not be used by two threads at once);
a forked child opens its own. Same counters and decision as the Redis store
(coderev.quotas.counters): one row per counter, its key naming its window.

Rows of ended windows are deleted as checks go, at most once a minute per process, inside
the check's transaction: the table holds only live windows and nothing else sweeps it. On
AWS without REDIS_URL the file is in the sandbox's /tmp, so each sandbox counts on its own:
set REDIS_URL for quotas that hold across sandboxes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from coderev.ports import QuotaDecision, QuotaLimit
from coderev.quotas.counters import counters, decide, utc_now
from coderev.quotas.errors import QuotaStoreError
from coderev.sqlite_wal import enable_wal

__all__ = ["SqliteQuotaStore"]

# Serializes a store's renewal in a forked child; a new one in each child, since a thread of
# the parent may have held it when the process forked.
_renewing = threading.Lock()


def _new_renewing_lock() -> None:
    global _renewing
    _renewing = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_renewing_lock)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS quota_counters (key TEXT PRIMARY KEY, "
    "used INTEGER NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS quota_counters_expiry ON quota_counters (expires_at)",
)
_SPEND = (
    "INSERT INTO quota_counters (key, used, expires_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET used = used + excluded.used"
)
_PURGE_EVERY_S = 60.0


class SqliteQuotaStore:
    """Atomic check-and-spend in a SQLite file, safe across threads and processes."""

    def __init__(self, path: Path, *, busy_timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._purged_at = 0.0

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: this class says when transactions begin (BEGIN IMMEDIATE)
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s,
                                   isolation_level=None, check_same_thread=False)  # fmt: skip
            enable_wal(conn, self.busy_timeout_s)
            conn.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            self._conn = conn
        return self._conn

    def _reset_after_fork(self) -> None:
        """In a forked child, a lock and connection of its own (the parent's lock may have
        been held at fork time), made once: threads racing here all take the same new lock.
        (Made on every first check, as it was, two threads each made a lock of their own and
        used the one connection at once: "cannot start a transaction within a transaction".)"""
        if self._pid == os.getpid():
            return
        with _renewing:
            if self._pid != os.getpid():
                self._lock = threading.Lock()
                self._conn = None
                self._pid = os.getpid()

    def check_and_spend(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> QuotaDecision:
        spent = counters(limits, amounts, now or utc_now())
        if not spent:
            return QuotaDecision(True)
        self._reset_after_fork()
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    used = [self._used(conn, c.key) for c in spent]
                    decision = decide(spent, used)
                    if decision.allowed:
                        conn.executemany(_SPEND, [(c.key, c.amount, c.expires_at.timestamp())
                                                  for c in spent if c.amount > 0])  # fmt: skip
                    self._purge(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise QuotaStoreError(f"the quota store ({self.path.name}) failed: {exc}") from exc
        return decision

    def refund(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> None:
        """Give back `amounts` to the windows that contain `now` (pass the spend's `now` to
        give back to the windows it spent from); never below zero."""
        given = [c for c in counters(limits, amounts, now or utc_now()) if c.amount > 0]
        if not given:
            return
        self._reset_after_fork()
        with self._lock:
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(
                        "UPDATE quota_counters SET used = MAX(used - ?, 0) WHERE key = ?",
                        [(c.amount, c.key) for c in given],
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise QuotaStoreError(f"the quota store ({self.path.name}) failed: {exc}") from exc

    @staticmethod
    def _used(conn: sqlite3.Connection, key: str) -> int:
        row = conn.execute("SELECT used FROM quota_counters WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def _purge(self, conn: sqlite3.Connection) -> None:
        """Delete counters whose window ended (by this machine's clock), once a minute."""
        wall = time.time()
        if wall - self._purged_at >= _PURGE_EVERY_S:
            conn.execute("DELETE FROM quota_counters WHERE expires_at < ?", (wall,))
            self._purged_at = wall

    def close(self) -> None:
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
