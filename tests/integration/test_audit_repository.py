"""The AuditRepository contract, run against SQLite (embedded) and the real PostgreSQL.

PostgreSQL: tests/integration/conftest.py's `postgres_url` (it must answer: an unreachable
server FAILS the test). Each test migrates a schema of its own (every table,
and alembic_version, in it), dropped afterwards, so parallel runs do not meet.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, SteppingClock, migrated

from coderev.analyses import NewAnalysis
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.audit import AuditEntry, AuditRepository
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.domain.events import cloud_event
from coderev.migrations import create_tables

pytestmark = pytest.mark.integration

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def repository(sql_backend: SqlBackend, clock: SteppingClock) -> SqlAuditRepository:
    return migrated(SqlAuditRepository, sql_backend, clock)


def entry(
    number: int = 1,
    *,
    type: str = "coderev.analysis.completed",
    source: str = "/coderev/finalize",
    **data: Any,
) -> AuditEntry:
    verb = type.rsplit(".", 1)[-1]
    event = cloud_event(
        type,
        source,
        {"analysis_id": f"a-{number}", **data},
        subject=f"a-{number}",
        id=f"a-{number}:{verb}",
        time=WHEN + timedelta(minutes=number),
    )
    return AuditEntry.from_cloudevent(event)


def test_it_is_an_audit_repository(repository: SqlAuditRepository) -> None:
    port: AuditRepository = repository
    assert port.list() == []


def test_an_entry_is_kept_whole(repository: SqlAuditRepository, clock: SteppingClock) -> None:
    original = entry(report={"text": "caf\u00e9 \u2014 \U0001f600", "lines": [1, 2.5, None, True]})
    assert repository.record(original)
    (stored,) = repository.list()
    assert stored == dataclasses.replace(original, recorded_at=clock.now)
    assert stored.event == original.event
    assert stored.time == WHEN + timedelta(minutes=1)
    assert stored.recorded_at is not None and stored.recorded_at.tzinfo is UTC


def test_a_duplicate_event_is_recorded_once(repository: SqlAuditRepository) -> None:
    assert repository.record(entry()) is True
    redelivered = entry(note="a redelivery may differ; the first one is kept")
    assert repository.record(redelivered) is False
    (stored,) = repository.list()
    assert "note" not in stored.event["data"]


def test_the_same_id_from_another_source_is_another_event(
    repository: SqlAuditRepository,
) -> None:
    assert repository.record(entry(source="/coderev/finalize"))
    assert repository.record(entry(source="/coderev/other"))
    assert len(repository.list()) == 2


def test_concurrent_records_of_one_event_keep_one(repository: SqlAuditRepository) -> None:
    outcomes = at_once([lambda: repository.record(entry(7))] * 8)
    assert sorted(outcomes) == [False] * 7 + [True]
    assert len(repository.list()) == 1


def test_list_newest_first_with_filters(repository: SqlAuditRepository) -> None:
    made = [
        entry(1),
        entry(2, type="coderev.analysis.failed"),
        entry(3),
        entry(1, type="coderev.analysis.failed"),
    ]
    for item in made:
        assert repository.record(item)
    ids = [e.event_id for e in repository.list()]
    assert ids == ["a-1:failed", "a-3:completed", "a-2:failed", "a-1:completed"]
    assert [e.event_id for e in repository.list(limit=2)] == ids[:2]
    assert repository.list(limit=0) == []
    failed = repository.list(type="coderev.analysis.failed")
    assert [e.event_id for e in failed] == ["a-1:failed", "a-2:failed"]
    assert [e.event_id for e in repository.list(subject="a-1")] == ["a-1:failed", "a-1:completed"]
    both = repository.list(type="coderev.analysis.completed", subject="a-3")
    assert [e.event_id for e in both] == ["a-3:completed"]
    assert repository.list(type="coderev.nothing.happened") == []


def test_entries_recorded_at_one_instant_keep_their_order(sql_backend: SqlBackend) -> None:
    engine, schema = sql_backend
    repository = SqlAuditRepository(engine, schema=schema, clock=lambda: WHEN)
    create_tables(repository)
    for number in range(4):
        repository.record(entry(number))
    assert [e.event_id for e in repository.list()] == [f"a-{n}:completed" for n in (3, 2, 1, 0)]


def test_minimal_events_are_kept(repository: SqlAuditRepository) -> None:
    bare = AuditEntry.from_cloudevent(
        {"specversion": "1.0", "id": "x", "source": "urn:test", "type": "com.example.ping"}
    )
    assert repository.record(bare)
    (stored,) = repository.list()
    assert (stored.subject, stored.time, stored.analysis_id, stored.tenant_id) == (None,) * 4
    assert stored.event == bare.event


def test_entries_outlive_the_repository(sql_backend: SqlBackend) -> None:
    engine, schema = sql_backend
    first = SqlAuditRepository(engine, schema=schema)
    create_tables(first)
    first.record(entry())
    second = SqlAuditRepository(engine, schema=schema)
    assert [e.event_id for e in second.list()] == ["a-1:completed"]
    assert second.record(entry()) is False


def test_analyses_and_audits_share_the_database(sql_backend: SqlBackend) -> None:
    engine, schema = sql_backend
    audits = SqlAuditRepository(engine, schema=schema)
    analyses = SqlAnalysisRepository(engine, schema=schema)
    create_tables(audits)
    create_tables(analyses)  # already migrated: nothing to do
    record, _ = analyses.create_if_absent(NewAnalysis("b", "uploads/a.zip", "e"))
    assert audits.record(entry(analysis=record.id))
    assert analyses.get(record.id) == record
