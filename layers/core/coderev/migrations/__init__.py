"""The schema of coderev's database: Alembic migrations, run by the code that uses the tables.

`upgrade(engine_or_url)` brings a database to the newest revision (`HEAD`); the repositories
call it when they are built (`create_tables`), `coderev db upgrade` runs it by hand, and
`coderev db current` shows where a database is. It is idempotent and safe when several
processes call it at once: on PostgreSQL it holds a transaction-level advisory lock while it
migrates, on SQLite an immediate (write) transaction.

Schemas: the tables live in the PostgreSQL schemas `projects` and `audits` (created when
absent); Alembic's `alembic_version` table lives in `projects` (PostgreSQL 15 lets only the
owner create tables in `public`). SQLite has no schemas: they are mapped away with
`schema_translate_map`. `schema=` puts every table, and the version table, into one schema
instead (tests give each run a schema of its own).

A database made before the migrations (by `create_all`: the analyses table, no
`alembic_version`) is adopted: stamped at revision 0001, then upgraded.

Alembic is imported only when a migration has to run: a database already at `HEAD` costs two
small queries and no Alembic import (a Lambda cold start builds the repositories).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from coderev.domain.errors import CoderevError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

__all__ = [
    "HEAD",
    "LOGICAL_SCHEMAS",
    "VERSION_TABLE",
    "MigrationError",
    "current",
    "schema_map",
    "upgrade",
]

HEAD = "0002"
"""The newest revision in versions/ (a test checks it is Alembic's head)."""
LOGICAL_SCHEMAS = ("projects", "audits")
VERSION_SCHEMA = "projects"
VERSION_TABLE = "alembic_version"


class MigrationError(CoderevError):
    """The database cannot be brought to the schema this coderev needs."""


def schema_map(dialect: str, schema: str | None = None) -> dict[str, str | None]:
    """The `schema_translate_map` from coderev's schemas to the database's.

    SQLite: every schema mapped away. PostgreSQL: each to itself, or all to `schema`.
    """
    if dialect == "sqlite":
        return dict.fromkeys(LOGICAL_SCHEMAS)
    return {name: schema or name for name in LOGICAL_SCHEMAS}


def upgrade(target: Engine | str, *, schema: str | None = None) -> str:
    """Bring the database to `HEAD` (creating schemas and tables); the revision it is at."""
    engine, owned = _engine(target)
    try:
        if _read_revision(engine, schema) == HEAD:
            return HEAD
        from coderev.migrations.runner import migrate

        return migrate(engine, schema=schema)
    finally:
        if owned:
            engine.dispose()


def current(target: Engine | str, *, schema: str | None = None) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    engine, owned = _engine(target)
    try:
        return _read_revision(engine, schema)
    finally:
        if owned:
            engine.dispose()


def version_schema(dialect: str, schema: str | None = None) -> str | None:
    """Where `alembic_version` is: None (the only schema) on SQLite."""
    return schema_map(dialect, schema)[VERSION_SCHEMA]


def _engine(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, str):
        from coderev.analyses.sql_repository import create_database_engine

        return create_database_engine(target), True
    return target, False


def _read_revision(engine: Engine, schema: str | None) -> str | None:
    with engine.connect() as conn:
        return read_revision(conn, schema)


def read_revision(conn: Connection, schema: str | None = None) -> str | None:
    """The revision recorded in `alembic_version`, None without the table or a row."""
    where = version_schema(conn.dialect.name, schema)
    if not sa.inspect(conn).has_table(VERSION_TABLE, schema=where):
        return None
    table = sa.table(VERSION_TABLE, sa.column("version_num"), schema=where)
    rows = conn.execute(sa.select(table.c.version_num)).scalars().all()
    if len(rows) > 1:
        raise MigrationError(f"the database has several schema heads: {', '.join(sorted(rows))}")
    return rows[0] if rows else None
