"""The AnalysisRepository contract, run against SQLite (embedded) and the real PostgreSQL.

PostgreSQL: tests/integration/conftest.py's `postgres_url` (it must answer: an unreachable
server FAILS the test). Each test gets a schema of its own (the table's `projects` schema is
translated to it), dropped afterwards, so runs in parallel and other suites sharing the
database do not meet.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import START, SqlBackend, SteppingClock, migrated

from coderev.analyses import (
    AnalysisNotFoundError,
    AnalysisRepository,
    AnalysisStatus,
    InvalidTransitionError,
    NewAnalysis,
)
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.migrations import create_tables

pytestmark = pytest.mark.integration


@pytest.fixture
def repository(sql_backend: SqlBackend, clock: SteppingClock) -> SqlAnalysisRepository:
    return migrated(SqlAnalysisRepository, sql_backend, clock)


def upload(
    name: str = "shop.tar.gz",
    etag: str = "e1",
    version_id: str | None = None,
    project_id: str | None = None,
) -> NewAnalysis:
    return NewAnalysis("coderev", f"uploads/{name}", etag, version_id, project_id)


def test_it_is_an_analysis_repository(repository: SqlAnalysisRepository) -> None:
    port: AnalysisRepository = repository
    assert port.get("nope") is None


def test_creating_records_a_queued_analysis(repository: SqlAnalysisRepository) -> None:
    record, created = repository.create_if_absent(upload(version_id="v1", project_id="p1"))
    assert created
    assert record.status is AnalysisStatus.QUEUED
    assert (record.bucket, record.object_key, record.etag) == (
        "coderev",
        "uploads/shop.tar.gz",
        "e1",
    )
    assert (record.version_id, record.project_id, record.execution_id) == ("v1", "p1", None)
    assert record.report_keys == {} and record.counts == {}
    assert record.error is None and record.cause is None
    assert record.created_at == record.updated_at == START + timedelta(seconds=1)
    assert record.created_at.tzinfo is UTC
    assert repository.get(record.id) == record
    uuid.UUID(record.id)


def test_creating_again_returns_the_first_record(repository: SqlAnalysisRepository) -> None:
    first, created = repository.create_if_absent(upload(version_id="v1"))
    again, created_again = repository.create_if_absent(upload(version_id="v1", project_id="x"))
    assert created and not created_again
    assert again == first
    assert len(repository.list()) == 1


def test_the_key_is_the_version_else_the_etag(repository: SqlAnalysisRepository) -> None:
    v1, _ = repository.create_if_absent(upload(version_id="v1", etag="same"))
    v2, new_version = repository.create_if_absent(upload(version_id="v2", etag="same"))
    e1, _ = repository.create_if_absent(upload(etag="e1"))
    quoted, new_quoted = repository.create_if_absent(upload(etag='"e1"'))
    e2, new_etag = repository.create_if_absent(upload(etag="e2"))
    other, new_key = repository.create_if_absent(upload(name="other.zip", etag="e1"))
    assert new_version and v2.id != v1.id
    assert not new_quoted and quoted.id == e1.id  # S3 events quote etags, heads may not
    assert new_etag and e2.id != e1.id
    assert new_key and other.id != e1.id


def test_concurrent_creates_make_one_record(repository: SqlAnalysisRepository) -> None:
    outcomes = at_once([lambda: repository.create_if_absent(upload(version_id="race"))] * 8)
    assert sum(created for _, created in outcomes) == 1
    assert len({record.id for record, _ in outcomes}) == 1


def test_a_run_goes_queued_running_succeeded(repository: SqlAnalysisRepository) -> None:
    record, _ = repository.create_if_absent(upload())
    queued = repository.update_status(record.id, AnalysisStatus.QUEUED, execution_id="arn:exec:1")
    running = repository.update_status(record.id, AnalysisStatus.RUNNING)
    keys = {"json": f"reports/{record.id}/report.json", "md": f"reports/{record.id}/report.md"}
    done = repository.update_status(
        record.id, AnalysisStatus.SUCCEEDED, report_keys=keys, counts={"findings": 14, "high": 8}
    )
    assert queued.execution_id == running.execution_id == done.execution_id == "arn:exec:1"
    assert done.status is AnalysisStatus.SUCCEEDED
    assert done.report_keys == keys and done.counts == {"findings": 14, "high": 8}
    assert done.created_at == record.created_at
    assert record.updated_at < queued.updated_at < running.updated_at < done.updated_at
    assert repository.get(record.id) == done
    again = repository.update_status(record.id, AnalysisStatus.SUCCEEDED)
    assert again.report_keys == keys  # not given: kept


@pytest.mark.parametrize(
    ("path", "wanted"),
    [
        ((), AnalysisStatus.SUCCEEDED),
        ((AnalysisStatus.RUNNING,), AnalysisStatus.QUEUED),
        ((AnalysisStatus.RUNNING, AnalysisStatus.SUCCEEDED), AnalysisStatus.RUNNING),
        ((AnalysisStatus.RUNNING, AnalysisStatus.SUCCEEDED), AnalysisStatus.FAILED),
        ((AnalysisStatus.FAILED,), AnalysisStatus.RUNNING),
        ((AnalysisStatus.FAILED,), AnalysisStatus.SUCCEEDED),
    ],
)
def test_forbidden_transitions_change_nothing(
    repository: SqlAnalysisRepository,
    path: tuple[AnalysisStatus, ...],
    wanted: AnalysisStatus,
) -> None:
    record, _ = repository.create_if_absent(upload())
    for status in path:
        error = "E" if status is AnalysisStatus.FAILED else None
        record = repository.update_status(record.id, status, error=error)
    with pytest.raises(InvalidTransitionError) as caught:
        repository.update_status(record.id, wanted, error="late", report_keys={"json": "x"})
    assert caught.value.current is record.status and caught.value.wanted is wanted
    assert repository.get(record.id) == record


def test_updating_an_unknown_analysis_fails(repository: SqlAnalysisRepository) -> None:
    with pytest.raises(AnalysisNotFoundError, match="no analysis 'ghost'"):
        repository.update_status("ghost", AnalysisStatus.RUNNING)


def test_failure_keeps_error_and_whole_cause(repository: SqlAnalysisRepository) -> None:
    record, _ = repository.create_if_absent(upload())
    cause = '{"errorMessage": "archive limit exceeded \u2014 \u00e9t\u00e9", "x": "' + "y" * 32_000
    failed = repository.update_status(
        record.id, AnalysisStatus.FAILED, error="ArchiveLimitError", cause=cause
    )
    assert (failed.error, failed.cause) == ("ArchiveLimitError", cause)
    assert repository.get(record.id) == failed
    again = repository.update_status(record.id, AnalysisStatus.FAILED, error="E2", cause="c2")
    assert (again.error, again.cause) == ("E2", "c2")


def test_list_newest_first_with_filters_and_pages(repository: SqlAnalysisRepository) -> None:
    made = [
        repository.create_if_absent(upload(name=f"a{i}.zip", project_id=f"p{i % 2}"))[0]
        for i in range(5)
    ]
    repository.update_status(made[1].id, AnalysisStatus.RUNNING)
    assert [r.id for r in repository.list()] == [r.id for r in reversed(made)]
    assert [r.id for r in repository.list(limit=2)] == [made[4].id, made[3].id]
    page = repository.list(created_before=made[3].created_at, limit=2)
    assert [r.id for r in page] == [made[2].id, made[1].id]
    assert [r.id for r in repository.list(project_id="p1")] == [made[3].id, made[1].id]
    assert [r.id for r in repository.list(status=AnalysisStatus.RUNNING)] == [made[1].id]
    assert repository.list(status=AnalysisStatus.FAILED) == []
    assert repository.list(limit=0) == []


def test_delete_older_than_by_last_update(
    repository: SqlAnalysisRepository, clock: SteppingClock
) -> None:
    old_done, _ = repository.create_if_absent(upload(name="old.zip"))
    repository.update_status(old_done.id, AnalysisStatus.FAILED, error="E")
    old_queued, _ = repository.create_if_absent(upload(name="stale.zip"))
    cutoff = clock.now + timedelta(milliseconds=500)
    young, _ = repository.create_if_absent(upload(name="young.zip"))
    assert repository.delete_older_than(cutoff, statuses=[AnalysisStatus.SUCCEEDED]) == 0
    assert repository.delete_older_than(cutoff, statuses=[AnalysisStatus.FAILED]) == 1
    assert repository.get(old_done.id) is None
    # an offset other than UTC means the same instant
    shifted = cutoff.astimezone(datetime.now().astimezone().tzinfo)
    assert repository.delete_older_than(shifted) == 1
    assert repository.get(old_queued.id) is None
    assert [r.id for r in repository.list()] == [young.id]


def test_a_released_reservation_is_never_claimed(repository: SqlAnalysisRepository) -> None:
    reserved = repository.reserve(upload(etag=""))
    claimed = repository.reserve(upload(name="claimed.zip", etag=""))
    repository.create_if_absent(upload(name="claimed.zip", etag="e0"))
    assert repository.release_reservation(reserved.id)
    assert repository.release_reservation(reserved.id)  # again: still released
    assert not repository.release_reservation(claimed.id)
    assert not repository.release_reservation("ghost")
    kept = repository.get(reserved.id)
    assert kept is not None and kept.status is AnalysisStatus.QUEUED and kept.awaiting_upload

    arrived, created = repository.create_if_absent(upload(etag="e1", version_id="v1"))

    assert created and arrived.id != reserved.id
    repository.update_status(reserved.id, AnalysisStatus.FAILED, error="UploadNotReceived")
    assert not repository.release_reservation(reserved.id)
    assert repository.get(reserved.id).status is AnalysisStatus.FAILED  # type: ignore[union-attr]


def test_times_must_be_aware(repository: SqlAnalysisRepository) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        repository.delete_older_than(datetime(2026, 1, 1))


def test_records_outlive_the_repository(sql_backend: SqlBackend) -> None:
    engine, schema = sql_backend
    first = SqlAnalysisRepository(engine, schema=schema)
    create_tables(first)
    record, _ = first.create_if_absent(upload(version_id="v9"))
    second = SqlAnalysisRepository(engine, schema=schema)
    assert second.get(record.id) == record
    assert second.create_if_absent(upload(version_id="v9")) == (record, False)
