"""Reserved analyses (presigned uploads): the id exists before the object; ingest claims it.

The claim happens inside `create_if_absent`, the call ingest already makes for every
notification, so ingest stays as it is and stays idempotent per object version.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from coderev.analyses import AnalysisStatus, NewAnalysis
from coderev.analyses.model import reservation_key
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.migrations import open_repository

BUCKET, KEY = "coderev", "uploads/0f0e/shop.zip"


@pytest.fixture
def records(tmp_path: Path) -> SqlAnalysisRepository:
    return open_repository(SqlAnalysisRepository, f"sqlite:///{tmp_path / 'analyses.db'}")


def test_a_reservation_is_queued_and_awaits_its_upload(records: SqlAnalysisRepository) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, "ignored", "ignored", project_id="shop"))

    assert reserved.status is AnalysisStatus.QUEUED
    assert reserved.awaiting_upload and reserved.etag == "" and reserved.version_id is None
    assert reserved.idempotency_key == reservation_key(BUCKET, KEY)
    assert reserved.project_id == "shop" and reserved.source_name == "shop.zip"
    assert records.get(reserved.id) == reserved


def test_the_first_version_uploaded_claims_the_reservation(
    records: SqlAnalysisRepository,
) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, "", project_id="shop"))

    claimed, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    assert created and claimed.id == reserved.id
    assert (claimed.etag, claimed.version_id, claimed.project_id) == ("e1", "v1", "shop")
    assert claimed.idempotency_key == NewAnalysis(BUCKET, KEY, "e1", "v1").idempotency_key
    assert not claimed.awaiting_upload


def test_a_repeated_notification_finds_the_claimed_record(
    records: SqlAnalysisRepository,
) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    again, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    assert not created and again.id == reserved.id
    assert len(records.list()) == 1


def test_a_later_version_of_the_key_gets_a_record_of_its_own(
    records: SqlAnalysisRepository,
) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    later, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e2", "v2"))

    assert created and later.id != reserved.id


def test_other_keys_and_unknown_etags_do_not_claim(records: SqlAnalysisRepository) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))

    other, _ = records.create_if_absent(NewAnalysis(BUCKET, "uploads/other.zip", "e1", "v1"))
    elsewhere, _ = records.create_if_absent(NewAnalysis("another-bucket", KEY, "e1", "v1"))
    blank, _ = records.create_if_absent(NewAnalysis(BUCKET, KEY, "", "v1"))

    assert reserved.id not in {other.id, elsewhere.id, blank.id}
    current = records.get(reserved.id)
    assert current is not None and current.awaiting_upload


def test_a_finished_reservation_is_never_claimed(records: SqlAnalysisRepository) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    records.update_status(reserved.id, AnalysisStatus.FAILED, error="UploadNotReceived")

    arrived, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))
    again, created_again = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    assert created and arrived.id != reserved.id and arrived.status is AnalysisStatus.QUEUED
    assert not created_again and again.id == arrived.id
    failed = records.get(reserved.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED and failed.etag == ""


def test_a_released_reservation_is_never_claimed(records: SqlAnalysisRepository) -> None:
    """Housekeeping releases an expired reservation before failing it: an upload landing in
    between (or after a crash between the two) gets a record of its own."""
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    assert records.release_reservation(reserved.id)

    arrived, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    assert created and arrived.id != reserved.id
    released = records.get(reserved.id)
    assert released is not None and released.awaiting_upload
    assert released.status is AnalysisStatus.QUEUED
    assert records.release_reservation(reserved.id)  # still releasable: it can be failed


def test_a_claimed_reservation_is_not_released(records: SqlAnalysisRepository) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))

    assert not records.release_reservation(reserved.id)
    assert not records.release_reservation("no-such-analysis")
    claimed = records.get(reserved.id)
    assert claimed is not None and claimed.etag == "e1"
    assert claimed.idempotency_key == NewAnalysis(BUCKET, KEY, "e1", "v1").idempotency_key


def test_concurrent_notifications_claim_once(records: SqlAnalysisRepository) -> None:
    reserved = records.reserve(NewAnalysis(BUCKET, KEY, ""))
    results: list[tuple[str, bool]] = []
    start = threading.Barrier(8)

    def ingest() -> None:
        start.wait()
        record, created = records.create_if_absent(NewAnalysis(BUCKET, KEY, "e1", "v1"))
        results.append((record.id, created))

    threads = [threading.Thread(target=ingest) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert {record_id for record_id, _ in results} == {reserved.id}
    assert sum(created for _, created in results) == 1
    assert len(records.list()) == 1
