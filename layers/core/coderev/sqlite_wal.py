"""Switching an SQLite database to WAL when other processes may be opening it too.

Every embedded SQLite file of coderev (analyses, executions, idempotency, quotas, revoked
tokens) runs in WAL mode so that processes can share it. Switching a new database to WAL
needs it unlocked, and SQLite answers "database is locked" at once, without its busy handler,
while another connection creates or migrates it: two processes opening a fresh quota store
at the same moment failed that way. The switch is retried here until `timeout_s` has passed;
once a database is in WAL, which is persistent, the pragma returns at once.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

__all__ = ["enable_wal"]


def enable_wal(connection: Any, timeout_s: float = 30.0) -> None:
    """`PRAGMA journal_mode=WAL` on a DB-API SQLite `connection`, retried while locked."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
