"""Housekeeping's reconcile: an analysis left QUEUED/RUNNING whose execution ended (or is
missing, or never started, past the grace period) is recorded FAILED with the cause, through
mark_failed and the StateMachineStarter's describe; a running or just-started one never is.
A fake clock drives the records' ages; a fake starter answers describe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coderev import bootstrap
from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.analyses.model import AnalysisRecord, AnalysisStatus, NewAnalysis
from coderev.analyses.sql_repository import (
    SqlAnalysisRepository,
    create_database_engine,
    database_url,
)
from coderev.migrations import create_tables
from coderev.ports import ExecutionDescription
from coderev.service.housekeeping import reconcile

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ARN = "arn:aws:states:us-east-1:123456789012:execution:coderev-AnalysisStateMachine:"
DIED = "the coderev serve that ran it stopped (pid 4242 on host builder)"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Starter:
    """describe() from a table; an ARN mapped to an exception raises it."""

    def __init__(self) -> None:
        self.executions: dict[str, ExecutionDescription | Exception] = {}
        self.asked: list[str] = []

    def start(self, state_machine: str, name: str, input: Any) -> str:
        raise AssertionError("reconcile starts nothing")

    def describe(self, execution_arn: str) -> ExecutionDescription | None:
        self.asked.append(execution_arn)
        found = self.executions.get(execution_arn)
        if isinstance(found, Exception):
            raise found
        return found


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def records(tmp_path: Path, clock: Clock) -> Iterator[SqlAnalysisRepository]:
    repository = SqlAnalysisRepository(
        create_database_engine(database_url(None, tmp_path)), clock=clock
    )
    create_tables(repository)
    yield repository
    repository.close()


def analysis(
    records: SqlAnalysisRepository, name: str, status: AnalysisStatus, execution: bool = True
) -> AnalysisRecord:
    record, _ = records.create_if_absent(NewAnalysis("bucket", f"uploads/{name}.zip", name))
    arn = ARN + record.id if execution else None
    if status is not AnalysisStatus.QUEUED or arn:
        record = records.update_status(record.id, status, execution_id=arn)
    return record


def run(records: SqlAnalysisRepository, starter: Starter, clock: Clock, **options: Any) -> Any:
    bus = InMemoryEventBus()
    counts = reconcile(records, starter, bus, grace_minutes=60, now=clock.now, **options)
    return counts, bus


def test_an_analysis_whose_execution_ended_is_failed_at_once_with_its_cause(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    crashed = analysis(records, "crashed", AnalysisStatus.RUNNING)
    starter.executions[ARN + crashed.id] = ExecutionDescription("FAILED", "States.Runtime", DIED)
    clock.now = T0 + timedelta(seconds=5)  # seconds old: no grace needed, nothing runs it

    counts, bus = run(records, starter, clock)

    failed = records.get(crashed.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert (failed.error, failed.cause) == ("States.Runtime", DIED)
    assert counts.as_dict() == {"analyses_failed": 1, "analyses_checked": 1,
                                "analyses_unchecked": 0, "uploads_not_received": 0}  # fmt: skip
    (event,) = [r.event for r in bus.records("coderev.analysis.failed")]
    assert event["id"] == f"{crashed.id}:failed"
    assert event["data"]["error"] == "States.Runtime" and event["data"]["message"] == DIED


def test_running_and_succeeded_executions_leave_the_analysis_alone(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    running = analysis(records, "running", AnalysisStatus.RUNNING)
    queued = analysis(records, "queued", AnalysisStatus.QUEUED)
    finishing = analysis(records, "finishing", AnalysisStatus.RUNNING)
    starter.executions[ARN + running.id] = ExecutionDescription("RUNNING")
    starter.executions[ARN + queued.id] = ExecutionDescription("PENDING_REDRIVE")
    starter.executions[ARN + finishing.id] = ExecutionDescription("SUCCEEDED")
    clock.now = T0 + timedelta(days=3)

    counts, bus = run(records, starter, clock)

    assert counts.analyses_failed == 0 and counts.analyses_checked == 3
    assert {r.status for r in records.list()} == {AnalysisStatus.RUNNING, AnalysisStatus.QUEUED}
    assert bus.records("coderev.analysis.failed") == []


def test_a_missing_or_never_started_execution_fails_only_after_the_grace_period(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    missing = analysis(records, "missing", AnalysisStatus.RUNNING)
    unstarted = analysis(records, "unstarted", AnalysisStatus.QUEUED, execution=False)
    unknown = analysis(records, "unknown", AnalysisStatus.RUNNING, execution=False)

    clock.now = T0 + timedelta(minutes=59)
    assert run(records, starter, clock)[0].analyses_failed == 0
    assert run(records, starter, clock, closed_only=True)[0].analyses_failed == 0
    clock.now = T0 + timedelta(minutes=61)
    assert run(records, starter, clock, closed_only=True)[0].analyses_failed == 0

    counts, _bus = run(records, starter, clock)

    assert counts.analyses_failed == 2
    gone = records.get(missing.id)
    assert gone is not None and gone.error == "ExecutionDoesNotExist"
    assert gone.cause == f"its execution {ARN + missing.id} does not exist"
    never = records.get(unstarted.id)
    assert never is not None and never.status is AnalysisStatus.FAILED
    assert never.cause == "no state machine execution was started for it"
    # RUNNING with no execution recorded: an execution moved it and cannot be asked
    assert records.get(unknown.id).status is AnalysisStatus.RUNNING  # type: ignore[union-attr]


def test_a_reservation_waits_while_its_upload_url_lives_and_the_grace_after(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    reserved = records.reserve(NewAnalysis("bucket", "uploads/r/shop.zip", ""))
    assert reserved.awaiting_upload and reserved.status is AnalysisStatus.QUEUED

    clock.now = T0 + timedelta(days=6)  # a presigned URL may live 7 days
    counts, _bus = run(records, Starter(), clock, upload_url_seconds=7 * 86400)
    assert counts.uploads_not_received == 0 and counts.analyses_checked == 1
    clock.now = T0 + timedelta(minutes=15 + 59)  # a 900 s URL, and 59 of the 60 minutes' grace
    counts, bus = run(records, Starter(), clock, upload_url_seconds=900)
    assert counts.uploads_not_received == 0

    assert records.get(reserved.id).status is AnalysisStatus.QUEUED  # type: ignore[union-attr]
    assert bus.records("coderev.analysis.failed") == []


def test_a_reservation_whose_upload_url_expired_is_failed_as_not_received(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    reserved = records.reserve(NewAnalysis("bucket", "uploads/r/shop.zip", ""))
    clock.now = T0 + timedelta(minutes=15 + 61)
    assert run(records, starter, clock, closed_only=True)[0].uploads_not_received == 0

    counts, bus = run(records, starter, clock, upload_url_seconds=900)

    assert counts.as_dict() == {"analyses_failed": 0, "analyses_checked": 1,
                                "analyses_unchecked": 0, "uploads_not_received": 1}  # fmt: skip
    assert starter.asked == []  # no execution to ask about
    failed = records.get(reserved.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert failed.error == "UploadNotReceived"
    assert failed.cause == (
        "no upload arrived for uploads/r/shop.zip: "
        "its upload URL expired at 2026-05-01T12:15:00+00:00"
    )
    (event,) = [r.event for r in bus.records("coderev.analysis.failed")]
    assert event["id"] == f"{reserved.id}:failed" and event["subject"] == reserved.id
    assert event["data"]["error"] == "UploadNotReceived"
    assert "expired at 2026-05-01T12:15:00+00:00" in event["data"]["message"]
    # finished now: the next run leaves it to retention
    assert run(records, starter, clock)[0].as_dict()["analyses_checked"] == 0


def test_an_upload_after_the_reservation_failed_is_an_analysis_of_its_own(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    reserved = records.reserve(NewAnalysis("bucket", "uploads/r/shop.zip", ""))
    clock.now = T0 + timedelta(hours=3)
    assert run(records, Starter(), clock)[0].uploads_not_received == 1

    late, created = records.create_if_absent(NewAnalysis("bucket", "uploads/r/shop.zip", "e1"))

    assert created and late.id != reserved.id
    assert late.status is AnalysisStatus.QUEUED and not late.awaiting_upload
    failed = records.get(reserved.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert failed.error == "UploadNotReceived" and failed.etag == ""


class ClaimingRecords:
    """The records, with the reservation's upload claimed just after reconcile listed them."""

    def __init__(self, records: SqlAnalysisRepository, upload: NewAnalysis) -> None:
        self.records, self.upload = records, upload

    def list(self, **options: Any) -> list[AnalysisRecord]:
        page = self.records.list(**options)
        self.records.create_if_absent(self.upload)
        return page

    def __getattr__(self, name: str) -> Any:
        return getattr(self.records, name)


def test_an_upload_claimed_while_reconciling_is_not_failed(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    reserved = records.reserve(NewAnalysis("bucket", "uploads/r/shop.zip", ""))
    clock.now = T0 + timedelta(hours=3)  # landing just now, from an upload started in time
    racing = ClaimingRecords(records, NewAnalysis("bucket", "uploads/r/shop.zip", "e1"))

    counts = reconcile(racing, Starter(), InMemoryEventBus(), now=clock.now)  # type: ignore[arg-type]

    assert counts.uploads_not_received == 0
    claimed = records.get(reserved.id)
    assert claimed is not None and claimed.status is AnalysisStatus.QUEUED
    assert claimed.etag == "e1" and claimed.error is None


def test_an_ended_execution_without_an_error_is_named_by_its_status(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    aborted = analysis(records, "aborted", AnalysisStatus.RUNNING)
    timed_out = analysis(records, "timed-out", AnalysisStatus.QUEUED)
    starter.executions[ARN + aborted.id] = ExecutionDescription("ABORTED")
    starter.executions[ARN + timed_out.id] = ExecutionDescription("TIMED_OUT")

    assert run(records, starter, clock)[0].analyses_failed == 2

    first, second = records.get(aborted.id), records.get(timed_out.id)
    assert first is not None and second is not None
    assert (first.error, first.cause) == (
        "States.Aborted",
        f"its execution {ARN + aborted.id} ended ABORTED",
    )
    assert second.error == "States.Timeout"


def test_a_describe_failure_skips_that_analysis_only(
    records: SqlAnalysisRepository, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    starter = Starter()
    denied = analysis(records, "denied", AnalysisStatus.RUNNING)
    crashed = analysis(records, "crashed", AnalysisStatus.RUNNING)
    starter.executions[ARN + denied.id] = PermissionError("AccessDeniedException")
    starter.executions[ARN + crashed.id] = ExecutionDescription("FAILED", "States.Runtime", DIED)

    counts, _bus = run(records, starter, clock)

    assert (counts.analyses_failed, counts.analyses_unchecked) == (1, 1)
    assert records.get(denied.id).status is AnalysisStatus.RUNNING  # type: ignore[union-attr]
    assert "AccessDeniedException" in caplog.text


def test_finished_analyses_are_not_even_asked_about(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    starter = Starter()
    done = analysis(records, "done", AnalysisStatus.RUNNING)
    records.update_status(done.id, AnalysisStatus.SUCCEEDED)
    failed = analysis(records, "failed", AnalysisStatus.QUEUED)
    records.update_status(failed.id, AnalysisStatus.FAILED, error="X", cause="y")
    clock.now = T0 + timedelta(days=10)

    counts, _bus = run(records, starter, clock)

    assert counts.analyses_checked == 0 and starter.asked == []


def test_the_scheduled_handler_reconciles_before_it_sweeps(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    starter = Starter()
    bootstrap.use_state_machine_starter(starter)  # type: ignore[arg-type]
    records = bootstrap.analysis_repository()
    upload = bootstrap.object_store().put("uploads/a/shop.zip", b"PK\x03\x04")
    record, _ = records.create_if_absent(NewAnalysis("bucket", upload.key, upload.etag))
    record = records.update_status(record.id, AnalysisStatus.RUNNING, execution_id=ARN + "a")
    starter.executions[ARN + "a"] = ExecutionDescription("FAILED", "States.Runtime", DIED)

    counts = invoke("housekeeping", kit.sample("housekeeping.json"))

    assert counts["analyses_failed"] == 1 and counts["analyses_checked"] == 1
    assert counts["uploads_not_received"] == 0
    assert counts["uploads_kept"] == 1  # failed just now: its upload stays for upload_hours
    failed = records.get(record.id)
    assert failed is not None and (failed.status, failed.cause) == (AnalysisStatus.FAILED, DIED)
    bus = bootstrap.event_bus()
    assert [r.event["subject"] for r in bus.records("coderev.analysis.failed")] == [record.id]  # type: ignore[attr-defined]


def test_the_scheduled_handler_fails_expired_reservations_and_a_late_upload_runs_apart(
    embedded: Path, invoke: Any, kit: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    starter = InProcessStateMachineStarter()
    bootstrap.use_state_machine_starter(starter)
    bucket = "coderev-123456789012-us-east-1"
    then = datetime.now(UTC) - timedelta(minutes=15 + 90 + 1)  # a 900 s URL, 90 minutes' grace
    old = SqlAnalysisRepository(create_database_engine(database_url(None, embedded)),
                                clock=lambda: then)  # fmt: skip
    create_tables(old)
    expired = old.reserve(NewAnalysis(bucket, "uploads/r/shop.zip", ""))
    waiting = old.reserve(NewAnalysis(bucket, "uploads/w/shop.zip", ""))
    old.close()
    records = bootstrap.analysis_repository()
    fresh = records.reserve(NewAnalysis(bucket, "uploads/f/shop.zip", ""))

    with pytest.MonkeyPatch.context() as env:
        env.setenv("CODEREV_UPLOAD_URL_SECONDS", "3600")  # an hour: the other one still waits
        assert invoke("housekeeping", kit.sample("housekeeping.json"))[
            "uploads_not_received"] == 0  # fmt: skip
    capsys.readouterr()
    counts = invoke("housekeeping", kit.sample("housekeeping.json"))

    assert counts["uploads_not_received"] == 2 and counts["analyses_failed"] == 0
    assert '"uploads_not_received"' in capsys.readouterr().out  # the metric, in EMF
    failed = records.get(expired.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert failed.error == "UploadNotReceived" and "upload URL expired at" in str(failed.cause)
    assert records.get(waiting.id).status is AnalysisStatus.FAILED  # type: ignore[union-attr]
    assert records.get(fresh.id).status is AnalysisStatus.QUEUED  # type: ignore[union-attr]
    bus = bootstrap.event_bus()
    subjects = {r.event["subject"] for r in bus.records("coderev.analysis.failed")}  # type: ignore[attr-defined]
    assert subjects == {expired.id, waiting.id}

    # the upload lands after all: a new analysis runs it; the failed record stays failed
    info = bootstrap.object_store().put("uploads/r/shop.zip", kit.zip_archive(kit.shop))
    event = kit.s3_record_event(bucket, info.key, info.etag, info.version_id)
    outcome = invoke("ingest", event)["outcomes"][0]

    assert outcome["outcome"] == "Started" and outcome["analysis_id"] != expired.id
    assert [s.name for s in starter.started] == [outcome["analysis_id"]]
    assert records.get(expired.id).status is AnalysisStatus.FAILED  # type: ignore[union-attr]
