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
    """WAL (see coderev.sqlite_wal), and a 30 s busy timeout."""
    from coderev.sqlite_wal import enable_wal

    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    enable_wal(cursor, 30)
    cursor.close()
