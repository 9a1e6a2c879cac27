"""functions/ingest: S3 notifications → records and state machine starts, once per version."""

from __future__ import annotations

from typing import Any

import pytest

from coderev import bootstrap
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.analyses.model import AnalysisStatus

BUCKET = "coderev-123456789012-us-east-1"


@pytest.fixture
def starter(embedded: Any) -> InProcessStateMachineStarter:
    recorder = InProcessStateMachineStarter()
    bootstrap.use_state_machine_starter(recorder)
    return recorder


def _upload(
    key: str, data: bytes, kit: Any, metadata: dict[str, str] | None = None
) -> dict[str, Any]:
    info = bootstrap.object_store().put(key, data, metadata=metadata)
    event: dict[str, Any] = kit.s3_record_event(BUCKET, key, info.etag, info.version_id)
    return event


def test_an_upload_is_recorded_and_its_analysis_started_once(starter, invoke, kit) -> None:
    event = _upload("uploads/shop.zip", kit.zip_archive(kit.shop), kit)

    first = invoke("ingest", event)["outcomes"][0]
    again = invoke("ingest", event)["outcomes"][0]

    assert first["outcome"] == "Started"
    assert again["outcome"] == "Duplicate"
    assert again["analysis_id"] == first["analysis_id"]
    assert len(starter.started) == 1
    started = starter.started[0]
    assert started.state_machine == kit.state_machine
    assert started.name == first["analysis_id"]
    assert started.input == {"analysis_id": first["analysis_id"], "baseline_key": None}
    record = bootstrap.analysis_repository().get(first["analysis_id"])
    assert record is not None
    assert record.status is AnalysisStatus.QUEUED
    assert record.execution_id == started.execution_arn


def test_a_new_version_of_the_same_key_is_a_new_analysis(starter, invoke, kit) -> None:
    first = invoke("ingest", _upload("uploads/shop.zip", kit.zip_archive(kit.shop), kit))
    changed = {**kit.shop, "shop/extra.py": "X = 1\n"}
    second = invoke("ingest", _upload("uploads/shop.zip", kit.zip_archive(changed), kit))

    ids = {first["outcomes"][0]["analysis_id"], second["outcomes"][0]["analysis_id"]}
    assert len(ids) == 2
    assert len(starter.started) == 2


def test_a_duplicate_past_the_idempotency_store_still_starts_nothing(
    starter, invoke, kit, embedded
) -> None:
    event = _upload("uploads/shop.zip", kit.zip_archive(kit.shop), kit)
    invoke("ingest", event)
    (embedded / "idempotency.db").unlink()  # the idempotency records are gone
    bootstrap.idempotency_store.cache_clear()

    again = kit.load_function("ingest").lambda_handler(event, kit.context("ingest"))

    assert again["outcomes"][0]["outcome"] == "Duplicate"
    assert len(starter.started) == 1


def test_a_hostile_archive_is_recorded_failed_and_nothing_starts(starter, invoke, kit) -> None:
    event = _upload("uploads/evil.zip", b"PK\x03\x04 this is not a zip archive", kit)

    outcome = invoke("ingest", event)["outcomes"][0]

    assert outcome["outcome"] == "Rejected"
    assert starter.started == []
    record = bootstrap.analysis_repository().get(outcome["analysis_id"])
    assert record is not None
    assert record.status is AnalysisStatus.FAILED
    assert record.error == outcome["error"] == "CorruptArchiveError"
    assert record.cause
    failed = bootstrap.event_bus().records("coderev.analysis.failed")  # type: ignore[attr-defined]
    assert [r.key for r in failed] == [outcome["analysis_id"].encode()]


@pytest.mark.parametrize(
    ("request_json", "error", "said"),
    [
        ("{not json", "RequestError", "not JSON"),
        ('{"fail_on": "sometimes"}', "RequestError", "'sometimes' is not a gate condition"),
        ('{"exclude": "docs"}', "RequestError", "exclude must be a list"),
        ('{"colour": "red"}', "RequestError", "unknown member(s) colour"),
        ('{"baseline_key": "reports/gone/report.json"}', "BaselineError", "does not exist"),
    ],
)
def test_a_malformed_request_is_recorded_failed_and_nothing_starts(
    starter, invoke, kit, request_json: str, error: str, said: str
) -> None:
    metadata = {"coderev-request": request_json}
    event = _upload("uploads/shop.zip", kit.zip_archive(kit.shop), kit, metadata)

    outcome = invoke("ingest", event)["outcomes"][0]

    assert (outcome["outcome"], outcome["error"]) == ("Rejected", error)
    assert starter.started == []
    record = bootstrap.analysis_repository().get(outcome["analysis_id"])
    assert record is not None and record.status is AnalysisStatus.FAILED
    assert said in (record.cause or "")


def test_objects_outside_uploads_are_ignored(starter, invoke, kit) -> None:
    event = _upload("reports/x/report.json", b"{}", kit)

    assert invoke("ingest", event)["outcomes"][0]["outcome"] == "Ignored"
    assert starter.started == []


def test_without_a_state_machine_the_event_fails_for_a_retry(
    starter, invoke, kit, monkeypatch
) -> None:
    monkeypatch.delenv("ANALYSIS_STATE_MACHINE_ARN")
    event = _upload("uploads/shop.zip", kit.zip_archive(kit.shop), kit)

    with pytest.raises(Exception, match="ANALYSIS_STATE_MACHINE_ARN"):
        invoke("ingest", event)
    assert starter.started == []
