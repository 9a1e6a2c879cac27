"""`coderev backup` / `coderev restore` on the real PostgreSQL (a database of the test's own),
the local object store and the SQLite graph store: after a backup, the data is changed and
deleted; the restore brings every table's rows, every object and every graph back identical."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from coderev import bootstrap
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.analyses.database import create_database_engine
from coderev.analyses.model import AnalysisStatus, NewAnalysis
from coderev.cli import app
from coderev.config import get_settings
from coderev.migrations import upgrade
from coderev.ports import GraphEdge, GraphNode, GraphScope

pytestmark = pytest.mark.integration


@pytest.fixture
def database(postgres_url: str) -> Iterator[str]:
    name = f"coderev_backup_{uuid.uuid4().hex[:10]}"
    admin_url = sa.make_url(postgres_url).set(database="postgres")
    admin = create_database_engine(admin_url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of every coderev schema, its rows sorted."""
    engine = create_database_engine(url)
    try:
        inspector = sa.inspect(engine)
        found: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as conn:
            for schema in inspector.get_schema_names():
                if schema in ("information_schema", "pg_catalog", "pg_toast"):
                    continue
                for table in inspector.get_table_names(schema=schema):
                    rows = conn.execute(sa.text(f'SELECT * FROM "{schema}"."{table}"'))
                    found[f"{schema}.{table}"] = sorted(tuple(map(repr, r)) for r in rows)
        return found
    finally:
        engine.dispose()


def test_a_backup_restores_to_identical_data(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    for variable in ("S3_ENDPOINT", "NEO4J_URI", "AWS_LAMBDA_RUNTIME_API"):
        monkeypatch.delenv(variable, raising=False)
    bootstrap.reset()
    upgrade(database)
    records = bootstrap.analysis_repository()
    first, _ = records.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e1", "v1", "p1"))
    records.update_status(first.id, AnalysisStatus.RUNNING)
    records.create_if_absent(NewAnalysis("b", "uploads/b.zip", "e2", None, "p2"))
    objects = bootstrap.object_store()
    objects.put("uploads/a.zip", b"PK\x03\x04 archive", metadata={"coderev-request": "{}"})
    objects.put("reports/x/report.json", b'{"ok": true}')
    graphs = bootstrap.graph_store(get_settings(), tmp_path / "data" / "graph.sqlite")
    nodes = [GraphNode("module:a", "Module", {"name": "a", "lines": [1, 2]}),
             GraphNode("module:b", "Module", {"name": "b"})]  # fmt: skip
    edges = [GraphEdge("module:a", "module:b", "IMPORTS", {"lines": [3]})]
    graphs.write(first.id, nodes, edges, scope=GraphScope("p1", "1.0"))
    before = every_row(database)
    assert sum(len(rows) for rows in before.values()) >= 3

    runner = CliRunner()
    made = runner.invoke(app, ["backup", str(tmp_path / "backups"), "--keep", "1"])
    assert made.exit_code == 0, made.output
    (backup,) = (tmp_path / "backups").iterdir()
    assert "postgres database, 2 objects, 1 graphs" in made.output
    assert "PGPASSWORD" not in made.output

    # the day goes wrong: a record changed, one deleted, an object and a graph lost
    records.update_status(first.id, AnalysisStatus.FAILED)
    engine = create_database_engine(database)
    with engine.begin() as conn:
        table = next(t for t in before if t.endswith(".analyses"))
        conn.execute(sa.text(f"DELETE FROM {table} WHERE object_key = 'uploads/b.zip'"))
    engine.dispose()
    objects.delete("uploads/a.zip")
    graphs.delete(first.id)
    assert every_row(database) != before

    restored = runner.invoke(app, ["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    assert every_row(database) == before
    assert objects.get("uploads/a.zip") == b"PK\x03\x04 archive"
    head = objects.head("uploads/a.zip")
    assert head is not None and head.metadata == {"coderev-request": "{}"}
    assert graphs.nodes(first.id) == nodes and graphs.edges(first.id) == edges
    assert isinstance(graphs, SqliteGraphStore)
    assert graphs.scope(first.id) == GraphScope("p1", "1.0")

    # a second backup with --keep 1 leaves only the newest
    runner.invoke(app, ["backup", str(tmp_path / "backups"), "--keep", "1"])
    assert [p.name for p in (tmp_path / "backups").iterdir()] != [backup.name]
    assert len(list((tmp_path / "backups").iterdir())) == 1
    bootstrap.reset()


def test_an_altered_backup_is_refused(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("S3_ENDPOINT", raising=False)
    bootstrap.reset()
    upgrade(database)
    runner = CliRunner()
    assert runner.invoke(app, ["backup", str(tmp_path / "b")]).exit_code == 0
    (backup,) = (tmp_path / "b").iterdir()
    with open(backup / "postgres.dump", "ab") as dump:
        dump.write(b"tampered")
    refused = runner.invoke(app, ["restore", str(backup)])
    assert refused.exit_code == 3
    assert "checksum" in refused.output
    bootstrap.reset()
