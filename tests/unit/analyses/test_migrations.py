"""coderev.migrations on SQLite: the schema the revisions build, adoption, concurrency, the CLI.

PostgreSQL (schemas, the advisory lock) is tests/integration/test_migrations.py; the checks both
suites run are in tests/migrations_checks.py.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from tests import legacy_analyses
from tests import migrations_checks as checks
from tests.unit.conftest import modules_loaded_by
from typer.testing import CliRunner

from coderev import migrations
from coderev.analyses.database import create_database_engine
from coderev.cli import app
from coderev.config import get_settings
from coderev.migrations import HEAD, runner, snapshot


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coderev.db'}"


@pytest.fixture
def engine(url: str) -> Iterator[sa.Engine]:
    engine = create_database_engine(url)
    yield engine
    engine.dispose()


def schema_sql(database: Path) -> dict[str, str]:
    """Every table and index the database has, by name, with the SQL that made it."""
    with sqlite3.connect(database) as db:
        rows = db.execute("select name, sql from sqlite_master where sql is not null").fetchall()
    return dict(rows)


def test_head_is_the_last_revision() -> None:
    script = runner.script_directory()
    assert script.get_current_head() == HEAD
    chain = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert chain == ["0001", "0002", "0003", "0004", "0005", "0006", "0007"]


def test_upgrade_builds_what_the_models_describe(engine: sa.Engine) -> None:
    assert migrations.current(engine) is None
    assert migrations.upgrade(engine) == HEAD
    assert migrations.current(engine) == HEAD
    assert set(sa.inspect(engine).get_table_names()) == {
        "alembic_version", "analyses", "events", "providers", "models", "health", "projects",
        "members",
        "organizations", "users", "memberships", "refresh_families", "refresh_tokens",
        "api_keys",
        "configurations", "experiments", "transitions", "observations", "feedback",
        "releases", "decisions", "entries",
    }  # fmt: skip
    assert runner.diff(engine) == []  # alembic's compare_metadata: no difference


def test_upgrading_twice_changes_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    checks.upgrading_again_changes_nothing(engine, lambda: schema_sql(tmp_path / "coderev.db"))


def test_revision_0001_is_the_table_create_all_made(tmp_path: Path) -> None:
    legacy = create_database_engine(f"sqlite:///{tmp_path / 'legacy.db'}")
    with legacy.begin() as conn:
        legacy_analyses.metadata.create_all(
            conn.execution_options(schema_translate_map={"projects": None})
        )
    legacy.dispose()
    migrated = create_database_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    assert runner.migrate(migrated, revision="0001") == "0001"
    migrated.dispose()
    made = schema_sql(tmp_path / "migrated.db")
    made.pop("alembic_version")
    assert made == schema_sql(tmp_path / "legacy.db")  # the same SQL, names included


def test_a_create_all_database_is_adopted(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        legacy_analyses.metadata.create_all(
            conn.execution_options(schema_translate_map={"projects": None})
        )
    checks.create_all_database_is_adopted(engine)


def test_a_database_newer_than_the_code_is_refused(engine: sa.Engine) -> None:
    checks.newer_database_is_refused(engine)


def test_concurrent_upgrades_migrate_once(url: str, tmp_path: Path) -> None:
    """Threads of one process, on one database and on another (Alembic's globals are shared)."""
    other = f"sqlite:///{tmp_path / 'other.db'}"
    checks.upgrade_in_threads([url if i % 2 else other for i in range(6)])


def test_concurrent_processes_migrate_once(url: str) -> None:
    checks.upgrade_in_processes(url)


def test_alembic_is_imported_only_to_migrate(url: str) -> None:
    probe = (
        "import sys; from coderev import migrations; before = 'alembic' in sys.modules; "
        f"migrations.upgrade({url!r}); print(before, 'alembic' in sys.modules)"
    )

    def run() -> str:
        command = [sys.executable, "-c", probe]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    assert run() == "False False"  # a new database: filled from the snapshot
    assert run() == "False False"  # up to date: two small queries, no Alembic


def test_an_older_database_is_migrated_with_alembic(url: str) -> None:
    engine = create_database_engine(url)
    runner.migrate(engine, revision="0006")
    engine.dispose()
    probe = (
        "import sys; from coderev import migrations; "
        f"print(migrations.upgrade({url!r}), 'alembic' in sys.modules)"
    )
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    assert done.stdout.split() == [HEAD, "True"]


def test_the_snapshot_is_the_schema_the_migrations_build(tmp_path: Path) -> None:
    migrated = tmp_path / "migrated.db"
    engine = create_database_engine(f"sqlite:///{migrated}")
    runner.migrate(engine)  # the migrations themselves, not the snapshot
    engine.dispose()
    saved = json.loads(snapshot.SNAPSHOT.read_text(encoding="utf-8"))
    assert saved["revision"] == HEAD, "run: python -m coderev.migrations.snapshot"
    assert saved["statements"] == snapshot.dump(migrated), (
        "the migrations changed: python -m coderev.migrations.snapshot writes it again"
    )


def test_a_new_database_from_the_snapshot_is_the_migrated_one(
    engine: sa.Engine, tmp_path: Path
) -> None:
    assert migrations.upgrade(engine) == HEAD
    migrated = tmp_path / "migrated.db"
    other = create_database_engine(f"sqlite:///{migrated}")
    runner.migrate(other)
    other.dispose()
    assert snapshot.dump(tmp_path / "coderev.db") == snapshot.dump(migrated)
    assert schema_sql(tmp_path / "coderev.db") == schema_sql(migrated)


def test_a_snapshot_of_another_revision_is_not_used(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps({"revision": "0006", "statements": ["CREATE TABLE t (x)"]}))
    monkeypatch.setattr(snapshot, "SNAPSHOT", stale)
    assert migrations.upgrade(engine) == HEAD  # by the migrations
    assert "t" not in schema_sql(tmp_path / "coderev.db")
    assert runner.diff(engine) == []


def test_importing_the_cli_and_bootstrap_imports_neither() -> None:
    assert modules_loaded_by("coderev.cli, coderev.bootstrap", ["alembic", "sqlalchemy"]) == []


def test_the_db_commands(embedded_data_dir: Path) -> None:
    database = embedded_data_dir / "coderev.db"
    checks.db_commands_report_and_upgrade(f"sqlite:///{database}")
    assert {"analyses", "events"} <= set(schema_sql(database))


@pytest.mark.usefixtures("embedded_data_dir")
def test_an_unusable_database_is_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://coderev:s3cret@127.0.0.1:9/coderev")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 3
    assert "postgresql+psycopg://coderev:***@127.0.0.1:9/coderev" in result.output
    assert "s3cret" not in result.output
