"""Running the migrations with Alembic: imported only when a database has to be migrated.

`migrate` holds the lock (a PostgreSQL transaction-level advisory lock, or SQLite's write
lock), adopts a database made by `create_all`, and runs Alembic's `upgrade` on that one
connection, in that one transaction: either every step is applied or none (PostgreSQL has
transactional DDL; SQLite's DDL is transactional too, inside the explicit transaction).
env.py hands over to `run_in_context` for `coderev.migrations` and for the `alembic`
command line alike.

It imports the tables (`coderev.analyses.tables`, `coderev.audit.tables`,
`coderev.providers.tables`, `coderev.auth.tables`, `coderev.experiments.tables`,
`coderev.promotion.tables`) and the
database
helpers (`coderev.analyses.database`), never the repositories (migrating needs only the
tables) nor `coderev.migrations` itself (its bookkeeping is in `coderev.migrations.versioning`):
`coderev.migrations` imports this module, so that would be an import cycle.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection, Engine

from coderev.analyses import tables as analyses_tables
from coderev.analyses.database import create_database_engine, database_url
from coderev.audit import tables as audit_tables
from coderev.auth import tables as auth_tables
from coderev.experiments import tables as experiment_tables
from coderev.migrations.versioning import (
    MigrationError,
    read_revision,
    schema_map,
    version_schema,
)
from coderev.projects import tables as project_tables
from coderev.promotion import tables as promotion_tables
from coderev.providers import tables as provider_tables

__all__ = [
    "ADOPTED",
    "config",
    "diff",
    "ensure_schema",
    "migrate",
    "models_metadata",
    "run_in_context",
]

MIGRATIONS = Path(__file__).resolve().parent
ADOPTED = "0001"
"""The revision of a database `create_all` made: the analyses table, nothing else."""
_LOCK_NAMESPACE = "coderev.migrations"
_IN_PROCESS = threading.Lock()


def config(**attributes: Any) -> Config:
    """Alembic's configuration, made here: no alembic.ini is needed at run time."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes.update(attributes)
    return cfg


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def migrate(engine: Engine, *, schema: str | None = None, revision: str = "head") -> str:
    """Upgrade the database to `revision` under the migration lock; the revision reached."""
    dialect = engine.dialect.name
    translate = schema_map(dialect, schema)
    where = version_schema(dialect, schema)
    # Alembic's `context` and `op` are module globals: one migration at a time per process
    with _IN_PROCESS, engine.connect() as conn:
        conn.execution_options(schema_translate_map=translate)
        _lock(conn, where)
        try:
            if where is not None:
                conn.execute(sa.schema.CreateSchema(where, if_not_exists=True))
            cfg = config(connection=conn, schema_translate_map=translate, version_schema=where)
            if read_revision(conn, schema) is None and _made_by_create_all(conn, translate):
                command.stamp(cfg, ADOPTED)
            command.upgrade(cfg, revision)
            reached = read_revision(conn, schema)
        except CommandError as exc:
            conn.rollback()
            raise MigrationError(f"cannot migrate the database: {exc}") from exc
        conn.commit()
    return reached or ""


def run_in_context() -> None:
    """env.py's work: configure Alembic on the connection `migrate` handed over, or (the
    `alembic` command line) on DATABASE_URL / sqlalchemy.url under the same lock."""
    from alembic import context

    if context.is_offline_mode():
        raise MigrationError("offline (--sql) migrations are not supported")
    attributes = context.config.attributes
    conn = attributes.get("connection")
    if conn is not None:
        _configure(conn, attributes["schema_translate_map"], attributes["version_schema"])
        with context.begin_transaction():
            context.run_migrations()
        return
    if context.config.config_file_name is not None:
        from logging.config import fileConfig

        fileConfig(context.config.config_file_name, disable_existing_loggers=False)
    engine = _command_line_engine(context.config)
    try:
        dialect = engine.dialect.name
        translate = schema_map(dialect)
        where = version_schema(dialect)
        with engine.connect() as conn:
            conn.execution_options(schema_translate_map=translate)
            _lock(conn, where)
            if where is not None:
                conn.execute(sa.schema.CreateSchema(where, if_not_exists=True))
            _configure(conn, translate, where)
            with context.begin_transaction():
                context.run_migrations()
            conn.commit()
    finally:
        engine.dispose()


def models_metadata(translate: Mapping[str, str | None]) -> sa.MetaData:
    """The tables the code expects, in the database's schemas (what autogenerate compares)."""
    target = sa.MetaData(naming_convention=analyses_tables.NAMING_CONVENTION)
    for source in (analyses_tables.metadata, project_tables.metadata, audit_tables.metadata,
                   provider_tables.metadata, auth_tables.metadata,
                   experiment_tables.metadata, promotion_tables.metadata):  # fmt: skip
        for table in source.tables.values():
            # None (documented: no schema) is missing from to_metadata's annotation
            schema: Any = translate[str(table.schema)]
            table.to_metadata(target, schema=schema, referred_schema_fn=_referred(translate))
    return target


def _referred(translate: Mapping[str, str | None]) -> Any:
    """A foreign key's table moves to its own schema's translation (SQLite: no schema)."""

    def schema_of(_table: Any, _to: Any, _constraint: Any, referred: str | None) -> Any:
        if referred is None:
            return None
        moved = translate.get(referred, referred)
        return sa.schema.BLANK_SCHEMA if moved is None else moved

    return schema_of


def diff(engine: Engine, *, schema: str | None = None) -> list[Any]:
    """How the database's tables differ from the models (Alembic autogenerate's diff)."""
    dialect = engine.dialect.name
    translate = schema_map(dialect, schema)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts=_options(dialect, translate, version_schema(dialect, schema))
        )
        return list(compare_metadata(context, models_metadata(translate)))


# --- internals --------------------------------------------------------------------------------


def _configure(conn: Connection, translate: Mapping[str, str | None], where: str | None) -> None:
    from alembic import context

    dialect = conn.dialect.name
    context.configure(
        connection=conn,
        target_metadata=models_metadata(translate),
        **_options(dialect, translate, where),
    )


def _options(dialect: str, translate: Mapping[str, str | None], where: str | None) -> Any:
    # coderev's schemas only (others may share the database); SQLite: the default one
    schemas = {name for name in translate.values() if name is not None}
    compared: set[str | None] = set(schemas) or {None}

    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "schema" or name in compared

    return {
        "version_table_schema": where,
        "include_schemas": bool(schemas),
        "include_name": include_name,
        "render_as_batch": dialect == "sqlite",
        "compare_type": True,
    }


def _lock(conn: Connection, where: str | None) -> None:
    """Begin the migration's transaction holding the database's migration lock."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"{_LOCK_NAMESPACE}:{where}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        # pysqlite opens no transaction before DDL: take the write lock now, waiting for a
        # concurrent migration to finish (the engine's busy timeout)
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _made_by_create_all(conn: Connection, translate: Mapping[str, str | None]) -> bool:
    return sa.inspect(conn).has_table("analyses", schema=translate["projects"])


def _command_line_engine(cfg: Config) -> Engine:
    from coderev.config import get_settings

    url = os.environ.get("DATABASE_URL") or cfg.get_main_option("sqlalchemy.url")
    return create_database_engine(database_url(url, get_settings().data_dir))


def ensure_schema(logical: str) -> None:
    """For a revision: create the PostgreSQL schema `logical` maps to (nothing on SQLite)."""
    from alembic import op

    bind = op.get_bind()
    translate = bind.get_execution_options().get("schema_translate_map") or {}
    actual = translate.get(logical, logical)
    if bind.dialect.name != "sqlite" and actual is not None:
        op.execute(sa.schema.CreateSchema(actual, if_not_exists=True))
