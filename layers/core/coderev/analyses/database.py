"""coderev's database: its SQLAlchemy URL and Engine (SQLite, the embedded default, or
PostgreSQL from `DATABASE_URL`).

Used by the repositories (through `coderev.sql`, their base) and by `coderev.migrations`; it
imports neither, so the migrations can open a database without importing a repository.

This module imports SQLAlchemy; `coderev.analyses` does not import this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from coderev.analyses.errors import AnalysisStoreError
from coderev.telemetry import metrics

__all__ = ["EMBEDDED_DATABASE", "SUPPORTED", "create_database_engine", "database_url"]

EMBEDDED_DATABASE = "coderev.db"
SUPPORTED = ("sqlite", "postgresql")
"""The database backends coderev runs on (both have `INSERT ... ON CONFLICT DO NOTHING`)."""


def database_url(url: str | None, data_dir: Path) -> str:
    """The SQLAlchemy URL: `DATABASE_URL` (psycopg 3 for PostgreSQL), else SQLite in data_dir.

    `postgres://` and `postgresql://` (the forms the seed and most hosts give) are pointed at
    the psycopg 3 driver; SQLAlchemy would otherwise pick psycopg2, which is not installed.
    """
    if not url:
        return f"sqlite:///{data_dir / EMBEDDED_DATABASE}"
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise AnalysisStoreError(f"DATABASE_URL {url.split('@')[-1]!r} is not a URL")
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


def create_database_engine(url: str) -> Engine:
    """An Engine for `url`; SQLite gets WAL and a busy timeout so processes can share it."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise AnalysisStoreError(f"unusable database URL: {exc}") from None
    if parsed.get_backend_name() not in SUPPORTED:
        raise AnalysisStoreError(
            f"database backend {parsed.get_backend_name()!r} is not supported; "
            "use PostgreSQL or SQLite"
        )
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    metrics.instrument_engine(engine)  # statement times and pool use, where they are exported
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL, and a 30 s busy timeout. Switching a new database to WAL needs it unlocked, and
    SQLite answers "database is locked" at once, without its busy handler, while another
    connection migrates it: the switch is retried for the same 30 s (once a database is in
    WAL, which is persistent, the pragma returns at once)."""
    import sqlite3
    import time

    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    deadline = time.monotonic() + 30
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cursor.close()
