"""The audit trail's embedded side: the SQLite file, the schema mapped away, bootstrap's provider.

The behaviour every backend shares is the contract suite in
tests/integration/test_audit_repository.py (SQLite and PostgreSQL).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.unit.conftest import modules_loaded_by

from coderev import bootstrap
from coderev.analyses.sql_repository import database_url
from coderev.audit import AuditEntry, AuditRepository
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.domain.events import cloud_event
from coderev.migrations import open_repository


def entry(number: int = 1) -> AuditEntry:
    event = cloud_event(
        "coderev.analysis.completed",
        "/coderev/finalize",
        {"analysis_id": f"a-{number}"},
        subject=f"a-{number}",
        id=f"a-{number}:completed",
    )
    return AuditEntry.from_cloudevent(event)


def test_the_table_is_events_in_the_embedded_database(tmp_path: Path) -> None:
    repository = open_repository(SqlAuditRepository, database_url(None, tmp_path))
    assert repository.record(entry())
    assert not repository.record(entry())
    repository.close()
    with sqlite3.connect(tmp_path / "coderev.db") as db:
        rows = db.execute("select event_id, source, analysis_id from events").fetchall()
        with pytest.raises(sqlite3.IntegrityError):  # the unique constraint, not only the code
            db.execute(
                "insert into events (event_id, source, type, event, recorded_at) "
                "values ('a-1:completed', '/coderev/finalize', 't', '{}', '2026-01-01')"
            )
    assert rows == [("a-1:completed", "/coderev/finalize", "a-1")]  # `audits` mapped away


def test_rows_are_numbered_in_order(tmp_path: Path) -> None:
    repository = open_repository(SqlAuditRepository, database_url(None, tmp_path))
    for number in range(3):
        repository.record(entry(number))
    repository.close()
    with sqlite3.connect(tmp_path / "coderev.db") as db:
        numbers = [row[0] for row in db.execute("select seq from events order by seq")]
    assert numbers == [1, 2, 3]


def test_importing_the_room_does_not_import_sqlalchemy() -> None:
    assert modules_loaded_by("coderev.audit", ["sqlalchemy"]) == []


def test_bootstrap_keeps_the_trail_beside_the_analyses(embedded_data_dir: Path) -> None:
    repository: AuditRepository = bootstrap.audit_repository()
    assert bootstrap.audit_repository() is repository  # built once
    assert repository.record(entry())
    assert bootstrap.analysis_repository().get("nope") is None
    with sqlite3.connect(embedded_data_dir / "coderev.db") as db:
        tables = {row[0] for row in db.execute("select name from sqlite_master where type='table'")}
    assert {"analyses", "events", "alembic_version"} <= tables


def test_reset_forgets_the_audit_repository(embedded_data_dir: Path) -> None:
    first = bootstrap.audit_repository()
    first.record(entry())
    bootstrap.reset()
    assert bootstrap.audit_repository() is not first
    assert [e.event_id for e in bootstrap.audit_repository().list()] == ["a-1:completed"]
