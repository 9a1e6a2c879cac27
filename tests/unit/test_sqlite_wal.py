"""Switching a database another process is creating to WAL waits for it instead of failing."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from coderev.sqlite_wal import enable_wal


def _held_for(path: Path, seconds: float) -> threading.Thread:
    """A connection that creates the database and holds it locked for `seconds`, on the
    returned thread (which the test joins: left running, its COMMIT would land after the
    test's folder is gone and fail in some later test)."""
    locked = threading.Event()

    def hold() -> None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE t (x)")
        locked.set()
        time.sleep(seconds)
        holder.execute("COMMIT")
        holder.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert locked.wait(5)
    return holder


def test_the_switch_waits_for_a_database_being_created(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    holder = _held_for(path, 0.3)
    conn = sqlite3.connect(path, timeout=0.01, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("PRAGMA journal_mode=WAL")  # what every store did: fails at once
    enable_wal(conn, 5)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.join(5)


def test_a_lock_held_past_the_timeout_is_raised(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    holder = _held_for(path, 1.0)
    conn = sqlite3.connect(path, timeout=0.01, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        enable_wal(conn, 0.2)
    holder.join(5)
    assert not holder.is_alive()
