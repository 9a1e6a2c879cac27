"""coderev.migrations on the real PostgreSQL: schemas, adoption, the advisory lock, the CLI.

Each test gets a database of its own (created on the server of tests/integration/conftest.py's
`postgres_url`, dropped afterwards): the migrations' schemas `projects` and `audits` and
`projects.alembic_version` are fixed names, so tests sharing a database would meet. An
unreachable server FAILS the test. The checks both suites run are in tests/migrations_checks.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from tests import legacy_analyses
from tests import migrations_checks as checks

from coderev import migrations
from coderev.analyses.database import create_database_engine, database_url
from coderev.config import get_settings
from coderev.migrations import HEAD, runner

pytestmark = pytest.mark.integration


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty database."""
    server = sa.make_url(postgres_url)
    name = f"coderev_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_database_engine(server.set(database="postgres").render_as_string(False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def engine(database: str) -> Iterator[sa.Engine]:
    engine = create_database_engine(database)
    yield engine
    engine.dispose()


def shape(engine: sa.Engine, schema: str, table: str) -> dict[str, Any]:
    """What a table is: columns, keys, constraints and indexes, as PostgreSQL reports them."""
    inspector = sa.inspect(engine)
    return {
        "columns": [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"))
            for c in inspector.get_columns(table, schema=schema)
        ],
        "pk": inspector.get_pk_constraint(table, schema=schema),
        "unique": sorted(
            (u["name"], tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(table, schema=schema)
        ),
        "checks": sorted(
            (c["name"], c["sqltext"]) for c in inspector.get_check_constraints(table, schema=schema)
        ),
        "indexes": sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table, schema=schema)
        ),
    }


def test_upgrade_creates_the_schemas_and_what_the_models_describe(engine: sa.Engine) -> None:
    assert migrations.current(engine) is None
    assert migrations.upgrade(engine) == HEAD
    inspector = sa.inspect(engine)
    assert {"projects", "audits", "providers", "auth", "experiments_v1", "production",
            "quarantine"} <= set(inspector.get_schema_names())  # fmt: skip
    assert sorted(inspector.get_table_names(schema="projects")) == [
        "alembic_version", "analyses", "members", "projects",
    ]  # fmt: skip
    assert inspector.get_table_names(schema="audits") == ["events"]
    assert sorted(inspector.get_table_names(schema="providers")) == [
        "health", "models", "providers",
    ]  # fmt: skip
    assert sorted(inspector.get_table_names(schema="auth")) == [
        "api_keys", "memberships", "organizations", "refresh_families", "refresh_tokens",
        "users",
    ]  # fmt: skip
    assert sorted(inspector.get_table_names(schema="production")) == ["decisions", "releases"]
    assert inspector.get_table_names(schema="quarantine") == ["entries"]
    assert sorted(inspector.get_table_names(schema="experiments_v1")) == [
        "configurations", "experiments", "feedback", "observations", "transitions",
    ]  # fmt: skip
    assert inspector.get_table_names(schema="public") == []
    assert runner.diff(engine) == []  # alembic's compare_metadata: no difference
    assert migrations.current(engine) == HEAD


def test_upgrading_twice_changes_nothing(engine: sa.Engine) -> None:
    checks.upgrading_again_changes_nothing(
        engine,
        lambda: (
            *(shape(engine, "projects", t) for t in ("analyses", "projects", "members")),
            shape(engine, "audits", "events"),
            *(shape(engine, "providers", t) for t in ("providers", "models", "health")),
            *(
                shape(engine, "auth", t)
                for t in (
                    "organizations",
                    "users",
                    "memberships",
                    "refresh_families",
                    "refresh_tokens",
                    "api_keys",
                )
            ),
            shape(engine, "production", "releases"),
            shape(engine, "production", "decisions"),
            shape(engine, "quarantine", "entries"),
        ),
    )


def test_revision_0001_is_the_table_create_all_made(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA legacy"))
        legacy_analyses.metadata.create_all(
            conn.execution_options(schema_translate_map={"projects": "legacy"})
        )
    assert runner.migrate(engine, revision="0001") == "0001"
    assert shape(engine, "projects", "analyses") == shape(engine, "legacy", "analyses")
    assert sa.inspect(engine).get_table_names(schema="audits") == []


def test_a_create_all_database_is_adopted(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA projects"))
        legacy_analyses.metadata.create_all(conn)
    checks.create_all_database_is_adopted(engine)


def test_a_sandbox_schema_holds_every_table(engine: sa.Engine) -> None:
    assert migrations.upgrade(engine, schema="sandbox") == HEAD
    inspector = sa.inspect(engine)
    tables = inspector.get_table_names(schema="sandbox")
    assert sorted(tables) == [
        "alembic_version", "analyses", "api_keys", "configurations", "decisions", "entries",
        "events", "experiments", "feedback", "health", "members", "memberships", "models",
        "observations", "organizations", "projects", "providers", "refresh_families",
        "refresh_tokens", "releases", "transitions", "users",
    ]  # fmt: skip
    assert "projects" not in inspector.get_schema_names()
    assert runner.diff(engine, schema="sandbox") == []
    assert migrations.current(engine) is None  # the real schemas are untouched
    assert migrations.current(engine, schema="sandbox") == HEAD


def test_a_database_newer_than_the_code_is_refused(engine: sa.Engine) -> None:
    checks.newer_database_is_refused(engine)


def test_concurrent_processes_migrate_once(database: str) -> None:
    """The advisory lock: without it, racing CREATE SCHEMA / CREATE TABLE statements fail."""
    checks.upgrade_in_processes(database)


def test_concurrent_threads_migrate_once(database: str) -> None:
    checks.upgrade_in_threads([database] * 4)


def test_the_db_commands(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    get_settings.cache_clear()
    try:
        shown = sa.make_url(database_url(database, get_settings().data_dir))
        checks.db_commands_report_and_upgrade(shown.render_as_string(hide_password=True))
    finally:
        get_settings.cache_clear()
