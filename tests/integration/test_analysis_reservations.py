"""Claiming a reserved analysis (presigned uploads) on SQLite and the real PostgreSQL:
concurrent notifications of one version claim the reservation once, and only once.

The single-threaded rules are in tests/unit/analyses/test_reservations.py.
"""

from __future__ import annotations

import functools

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, SteppingClock, migrated

from coderev.analyses import AnalysisStatus, NewAnalysis
from coderev.analyses.sql_repository import SqlAnalysisRepository

pytestmark = pytest.mark.integration

KEY = "uploads/0f0e/shop.zip"


@pytest.fixture
def records(sql_backend: SqlBackend, clock: SteppingClock) -> SqlAnalysisRepository:
    """As the contract suite's: SQLite, and PostgreSQL in a schema of the test's own."""
    return migrated(SqlAnalysisRepository, sql_backend, clock)


def _race(records: SqlAnalysisRepository, versions: list[str]) -> list[tuple[str, bool]]:
    def ingest(version: str) -> tuple[str, bool]:
        record, created = records.create_if_absent(
            NewAnalysis("coderev", KEY, f"etag-{version}", version)
        )
        return record.id, created

    return at_once([functools.partial(ingest, version) for version in versions])


def test_concurrent_notifications_of_one_version_claim_once(
    records: SqlAnalysisRepository,
) -> None:
    reserved = records.reserve(NewAnalysis("coderev", KEY, "", project_id="shop"))

    results = _race(records, ["v1"] * 8)

    assert {record_id for record_id, _ in results} == {reserved.id}
    assert sum(created for _, created in results) == 1
    (record,) = records.list()
    assert (record.etag, record.version_id, record.project_id) == ("etag-v1", "v1", "shop")
    assert record.status is AnalysisStatus.QUEUED


def test_racing_versions_leave_one_claim_and_records_for_the_others(
    records: SqlAnalysisRepository,
) -> None:
    reserved = records.reserve(NewAnalysis("coderev", KEY, ""))

    results = _race(records, ["v1", "v2", "v3", "v4"])

    assert sum(record_id == reserved.id for record_id, _ in results) == 1
    assert len({record_id for record_id, _ in results}) == 4
    assert all(created for _, created in results)
    assert not any(r.awaiting_upload for r in records.list())
