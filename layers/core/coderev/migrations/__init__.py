"""The schema of coderev's database: Alembic migrations, run by the code that uses the tables.

`upgrade(engine_or_url)` brings a database to the newest revision (`HEAD`);
`open_repository(SqlAnalysisRepository, url)` builds a repository with its database migrated
first (what bootstrap does: tables made on first use), `create_tables(repository)` migrates
an existing repository's database, `coderev db upgrade` runs it by hand, and
`coderev db current` shows where a database is. It is idempotent and safe when several
processes call it at once: on PostgreSQL it holds a transaction-level advisory lock while it
migrates, on SQLite an immediate (write) transaction.

Schemas: the tables live in the PostgreSQL schemas `projects`, `audits` and `providers`
(created when absent); Alembic's `alembic_version` table lives in `projects` (PostgreSQL 15
lets only the owner create tables in `public`). SQLite has no schemas: they are mapped away with
`schema_translate_map`. `schema=` puts every table, and the version table, into one schema
instead (tests give each run a schema of its own).

A database made before the migrations (by `create_all`: the analyses table, no
`alembic_version`) is adopted: stamped at revision 0001, then upgraded.

The revision bookkeeping (`HEAD`, the schema map, `read_revision`) is in
`coderev.migrations.versioning`, re-exported here; `coderev.migrations.runner` imports it, the
tables (`coderev.analyses.tables`, `coderev.audit.tables`, `coderev.providers.tables`) and
`coderev.analyses.database`, never this package nor a repository. The migrations depend on the
tables and on `coderev.sql`'s repositories, never the reverse (a contract in pyproject.toml).

Alembic is imported only when a migration has to run: a database already at `HEAD` costs two
small queries and no Alembic import (a Lambda cold start builds the repositories), and a new
SQLite database is filled from a snapshot of the migrated schema (coderev.migrations.snapshot).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coderev.migrations.versioning import (
    HEAD,
    LOGICAL_SCHEMAS,
    VERSION_SCHEMA,
    VERSION_TABLE,
    MigrationError,
    read_revision,
    schema_map,
    version_schema,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from coderev.sql import SqlRepository

__all__ = [
    "HEAD",
    "LOGICAL_SCHEMAS",
    "VERSION_SCHEMA",
    "VERSION_TABLE",
    "MigrationError",
    "create_tables",
    "current",
    "open_repository",
    "read_revision",
    "schema_map",
    "upgrade",
    "version_schema",
]


def upgrade(target: Engine | str, *, schema: str | None = None) -> str:
    """Bring the database to `HEAD` (creating schemas and tables); the revision it is at."""
    engine, owned = _engine(target)
    try:
        revision = _read_revision(engine, schema)
        if revision == HEAD:
            return HEAD
        if revision is None and schema is None:  # a new SQLite database: from the snapshot
            from coderev.migrations.snapshot import restore

            if restore(engine):
                return HEAD
        from coderev.migrations.runner import migrate

        return migrate(engine, schema=schema)
    finally:
        if owned:
            engine.dispose()


def create_tables(repository: SqlRepository) -> str:
    """Bring a repository's database up to date (idempotent); the revision it is at.

    A repository on a schema of its own (a test's) has every table, and the version table, there.
    """
    return upgrade(repository.engine, schema=repository.own_schema)


def open_repository[R: SqlRepository](kind: type[R], url: str) -> R:
    """A `kind` repository on the database at `url`, its tables made (migrated) first."""
    from coderev.analyses.database import create_database_engine

    repository = kind(create_database_engine(url))
    create_tables(repository)
    return repository


def current(target: Engine | str, *, schema: str | None = None) -> str | None:
    """The revision the database is at; None when it has never been migrated."""
    engine, owned = _engine(target)
    try:
        return _read_revision(engine, schema)
    finally:
        if owned:
            engine.dispose()


def _engine(target: Engine | str) -> tuple[Engine, bool]:
    if isinstance(target, str):
        from coderev.analyses.database import create_database_engine

        return create_database_engine(target), True
    return target, False


def _read_revision(engine: Engine, schema: str | None) -> str | None:
    with engine.connect() as conn:
        return read_revision(conn, schema)
