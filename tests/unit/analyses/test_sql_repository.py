"""The SQL repository's embedded side: URLs, the SQLite file, the schema mapped away.

The behaviour every backend shares is the contract suite in
tests/integration/test_analysis_repository.py (SQLite and PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from coderev.analyses import AnalysisStatus, AnalysisStoreError, NewAnalysis
from coderev.analyses.sql_repository import (
    SqlAnalysisRepository,
    create_database_engine,
    database_url,
)
from coderev.migrations import open_repository


def test_unset_means_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path}/coderev.db"
    assert database_url("", tmp_path) == f"sqlite:///{tmp_path}/coderev.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/coderev", "postgresql+psycopg://u:p@db:5432/coderev"),
        ("postgresql://u@db/coderev", "postgresql+psycopg://u@db/coderev"),
        ("postgresql+psycopg://u@db/coderev", "postgresql+psycopg://u@db/coderev"),
        ("sqlite:////var/lib/coderev.db", "sqlite:////var/lib/coderev.db"),
    ],
)
def test_postgres_urls_use_psycopg_3(given: str, expected: str) -> None:
    assert database_url(given, Path("/unused")) == expected


def test_a_url_without_a_scheme_is_refused_without_its_password() -> None:
    with pytest.raises(AnalysisStoreError) as caught:
        database_url("user:secret@db", Path())
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("url", ["mysql://u@db/x", "not a url"])
def test_other_backends_are_refused(url: str) -> None:
    with pytest.raises(AnalysisStoreError):
        create_database_engine(url)


def test_the_sqlite_file_and_its_folder_are_created(tmp_path: Path) -> None:
    data_dir = tmp_path / "deep" / "data"
    repository = open_repository(SqlAnalysisRepository, database_url(None, data_dir))
    record, _ = repository.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e"))
    repository.close()
    with sqlite3.connect(data_dir / "coderev.db") as db:
        tables = [row[0] for row in db.execute("select name from sqlite_master where type='table'")]
        status = db.execute("select status from analyses where id = ?", (record.id,)).fetchone()
        journal = db.execute("pragma journal_mode").fetchone()[0]
    # the `projects`, `audits` and `providers` schemas are mapped away; alembic_version: the
    # migrations
    assert set(tables) >= {
        "alembic_version", "analyses", "events", "health", "members", "models", "projects",
        "providers",
    }  # fmt: skip
    assert status == ("QUEUED",)
    assert journal == "wal"
    reopened = open_repository(SqlAnalysisRepository, database_url(None, data_dir))
    assert reopened.get(record.id) == record


def test_the_database_enforces_the_statuses(tmp_path: Path) -> None:
    repository = open_repository(SqlAnalysisRepository, database_url(None, tmp_path))
    record, _ = repository.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e"))
    with sqlite3.connect(tmp_path / "coderev.db") as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("update analyses set status = 'DONE' where id = ?", (record.id,))
    assert (
        repository.update_status(record.id, AnalysisStatus.RUNNING).status is AnalysisStatus.RUNNING
    )


def test_importing_the_room_does_not_import_sqlalchemy() -> None:
    code = "import sys, coderev.analyses; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
