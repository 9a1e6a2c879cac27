"""coderev.migrations on the real PostgreSQL: schemas, adoption, the advisory lock, the CLI.

Each test gets a database of its own (created on the server of tests/integration/conftest.py's
`postgres_url`, dropped afterwards): the migrations' schemas `projects` and `audits` and
`projects.alembic_version` are fixed names, so tests sharing a database would meet. An
unreachable server FAILS the test.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from coderev import migrations
from coderev.analyses import NewAnalysis
from coderev.analyses import tables as analyses
from coderev.analyses.database import create_database_engine, database_url
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.cli import app
from coderev.config import get_settings
from coderev.migrations import HEAD, MigrationError, runner

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
    assert {"projects", "audits"} <= set(inspector.get_schema_names())
    assert inspector.get_table_names(schema="projects") == ["alembic_version", "analyses"]
    assert inspector.get_table_names(schema="audits") == ["events"]
    assert inspector.get_table_names(schema="public") == []
    assert runner.diff(engine) == []  # alembic's compare_metadata: no difference
    assert migrations.current(engine) == HEAD


def test_upgrading_twice_changes_nothing(engine: sa.Engine) -> None:
    migrations.upgrade(engine)
    repository = SqlAnalysisRepository(engine)
    record, _ = repository.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e"))
    before = shape(engine, "projects", "analyses"), shape(engine, "audits", "events")
    assert migrations.upgrade(engine) == HEAD
    assert runner.migrate(engine) == HEAD  # Alembic itself finds nothing to do
    assert (shape(engine, "projects", "analyses"), shape(engine, "audits", "events")) == before
    assert repository.get(record.id) == record
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select version_num from projects.alembic_version")).all()
    assert rows == [(HEAD,)]


def test_revision_0001_is_the_table_create_all_made(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA legacy"))
        analyses.metadata.create_all(
            conn.execution_options(schema_translate_map={"projects": "legacy"})
        )
    assert runner.migrate(engine, revision="0001") == "0001"
    assert shape(engine, "projects", "analyses") == shape(engine, "legacy", "analyses")
    assert sa.inspect(engine).get_table_names(schema="audits") == []


def test_a_create_all_database_is_adopted(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA projects"))
        analyses.metadata.create_all(conn)
    old = SqlAnalysisRepository(engine)  # what the release before migrations ran
    record, _ = old.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e", "v1"))
    assert migrations.current(engine) is None
    assert migrations.upgrade(engine) == HEAD  # stamped 0001, then upgraded
    assert runner.diff(engine) == []
    assert old.get(record.id) == record
    assert SqlAuditRepository(engine).list() == []


def test_a_sandbox_schema_holds_every_table(engine: sa.Engine) -> None:
    assert migrations.upgrade(engine, schema="sandbox") == HEAD
    inspector = sa.inspect(engine)
    tables = inspector.get_table_names(schema="sandbox")
    assert sorted(tables) == ["alembic_version", "analyses", "events"]
    assert "projects" not in inspector.get_schema_names()
    assert runner.diff(engine, schema="sandbox") == []
    assert migrations.current(engine) is None  # the real schemas are untouched
    assert migrations.current(engine, schema="sandbox") == HEAD


def test_a_database_newer_than_the_code_is_refused(engine: sa.Engine) -> None:
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("update projects.alembic_version set version_num = '0099'"))
    with pytest.raises(MigrationError, match="0099"):
        migrations.upgrade(engine)
    assert migrations.current(engine) == "0099"


def test_concurrent_processes_migrate_once(database: str) -> None:
    """The advisory lock: without it, racing CREATE SCHEMA / CREATE TABLE statements fail."""
    code = f"from coderev import migrations; print(migrations.upgrade({database!r}))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == [HEAD] * 4


def test_concurrent_threads_migrate_once(database: str) -> None:
    barrier = threading.Barrier(4)
    reached: list[str] = []
    errors: list[BaseException] = []

    def upgrade() -> None:
        engine = create_database_engine(database)
        try:
            barrier.wait()
            reached.append(migrations.upgrade(engine))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=upgrade) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert reached == [HEAD] * 4


def test_the_db_commands(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    get_settings.cache_clear()
    try:
        cli = CliRunner()
        shown = sa.make_url(database_url(database, get_settings().data_dir))
        where = shown.render_as_string(hide_password=True)
        assert cli.invoke(app, ["db", "current"]).output == (
            f"{where}: at revision none, head is {HEAD}: run `coderev db upgrade`\n"
        )
        upgraded = cli.invoke(app, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        assert upgraded.output == f"{where}: at revision {HEAD} (head)\n"
        assert cli.invoke(app, ["db", "current"]).output == upgraded.output
    finally:
        get_settings.cache_clear()
