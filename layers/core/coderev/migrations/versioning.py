"""Where coderev's schema version is kept, and reading it: shared by `coderev.migrations`
(which checks it before importing Alembic) and `coderev.migrations.runner` (which migrates).

It imports neither, so the runner does not depend back on the package that imports it.
Its names are public as `coderev.migrations` re-exports them (that package's `__all__`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from coderev.domain.errors import CoderevError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

HEAD = "0007"
"""The newest revision in versions/ (a test checks it is Alembic's head)."""
LOGICAL_SCHEMAS = (
    "projects",
    "audits",
    "providers",
    "auth",
    "experiments_v1",
    "production",
    "quarantine",
)
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


def version_schema(dialect: str, schema: str | None = None) -> str | None:
    """Where `alembic_version` is: None (the only schema) on SQLite."""
    return schema_map(dialect, schema)[VERSION_SCHEMA]


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
