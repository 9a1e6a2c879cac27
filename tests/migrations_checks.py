"""What both suites of coderev.migrations check, on any database: SQLite in
tests/unit/analyses/test_migrations.py, PostgreSQL in tests/integration/test_migrations.py.
Each suite prepares the database its way and calls these
(`from tests import migrations_checks as checks`).
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from tests.concurrency import at_once
from typer.testing import CliRunner

from coderev import migrations
from coderev.analyses import NewAnalysis
from coderev.analyses.database import create_database_engine
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.cli import app
from coderev.migrations import HEAD, MigrationError, runner
from coderev.projects.sql_repository import SqlProjectRepository


def version_table(engine: sa.Engine) -> sa.TableClause:
    """`alembic_version` where the migrations keep it (in `projects` on PostgreSQL)."""
    schema = migrations.version_schema(engine.dialect.name)
    return sa.table(migrations.VERSION_TABLE, sa.column("version_num"), schema=schema)


def upgrading_again_changes_nothing(engine: sa.Engine, schema: Callable[[], Any]) -> None:
    """A second upgrade (and Alembic itself) finds nothing to do: `schema()`, what the
    database's tables are, is unchanged, and so are its records."""
    migrations.upgrade(engine)
    repository = SqlAnalysisRepository(engine)
    record, _ = repository.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e"))
    before = schema()
    assert migrations.upgrade(engine) == HEAD
    assert runner.migrate(engine) == HEAD  # Alembic itself finds nothing to do
    assert schema() == before
    assert repository.get(record.id) == record
    with engine.connect() as conn:
        assert conn.execute(sa.select(version_table(engine))).all() == [(HEAD,)]


def create_all_database_is_adopted(engine: sa.Engine) -> None:
    """A database made by `create_all` before the migrations (the analyses table, no
    `alembic_version`) is stamped 0001, then upgraded, its records kept and adopted into the
    default tenant's default project (migration 0006). `engine` has the legacy table."""
    from tests.legacy_analyses import insert_legacy_record

    translate = migrations.schema_map(engine.dialect.name)
    with engine.begin() as conn:
        conn = conn.execution_options(schema_translate_map=translate)
        insert_legacy_record(conn, "legacy-1", None)
        insert_legacy_record(conn, "legacy-2", "shop")
    assert migrations.current(engine) is None
    assert migrations.upgrade(engine) == HEAD  # stamped 0001, then upgraded
    assert runner.diff(engine) == []
    records = SqlAnalysisRepository(engine)
    for record_id in ("legacy-1", "legacy-2"):
        record = records.find("default", record_id)
        assert record is not None, record_id
        assert (record.tenant_id, record.project_id) == ("default", "default")
        assert record.report_keys == {"json": f"reports/{record_id}/report.json"}
    assert records.find("another-tenant", "legacy-1") is None
    project = SqlProjectRepository(engine).get("default", "default")
    assert project is not None and project.name == "default"
    assert SqlAuditRepository(engine).list() == []


def newer_database_is_refused(engine: sa.Engine) -> None:
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(version_table(engine)).values(version_num="0099"))
    with pytest.raises(MigrationError, match="0099"):
        migrations.upgrade(engine)
    assert migrations.current(engine) == "0099"


def upgrade_in_threads(urls: Sequence[str]) -> None:
    """A thread per URL, each with an Engine (a connection pool) of its own, upgrading at
    once: every one reaches HEAD, none fails."""

    def upgrade(url: str) -> str:
        engine = create_database_engine(url)
        try:
            return migrations.upgrade(engine)
        finally:
            engine.dispose()

    assert at_once([functools.partial(upgrade, url) for url in urls]) == [HEAD] * len(urls)


def upgrade_in_processes(url: str, count: int = 4) -> None:
    """`count` processes upgrading `url` at once: every one reaches HEAD, none fails."""
    code = f"from coderev import migrations; print(migrations.upgrade({url!r}))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(count)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * count, [err for _, err in outputs]
    assert [out.strip() for out, _ in outputs] == [HEAD] * count


def db_commands_report_and_upgrade(shown: str) -> None:
    """`coderev db current` and `coderev db upgrade` on a new database (DATABASE_URL, or the
    data dir's SQLite), which they name as `shown`."""
    cli = CliRunner()
    before = cli.invoke(app, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert before.output == (
        f"{shown}: at revision none, head is {HEAD}: run `coderev db upgrade`\n"
    )
    upgraded = cli.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.output == f"{shown}: at revision {HEAD} (head)\n"
    assert cli.invoke(app, ["db", "upgrade"]).output == upgraded.output
    assert cli.invoke(app, ["db", "current"]).output == upgraded.output
