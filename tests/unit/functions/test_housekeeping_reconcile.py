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
from coderev.analyses.model import AnalysisRecord, AnalysisStatus, NewAnalysis
from coderev.analyses.sql_repository import (
    SqlAnalysisRepository,
    create_database_engine,
    database_url,
)
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
    repository.create_tables()
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
                                "analyses_unchecked": 0}  # fmt: skip
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


def test_an_analysis_reserved_for_a_presigned_upload_is_left_to_wait(
    records: SqlAnalysisRepository, clock: Clock
) -> None:
    reserved = records.reserve(NewAnalysis("bucket", "uploads/r/shop.zip", ""))
    assert reserved.awaiting_upload and reserved.status is AnalysisStatus.QUEUED
    clock.now = T0 + timedelta(days=6)  # a presigned URL may live 7 days

    counts, _bus = run(records, Starter(), clock)

    assert counts.analyses_failed == 0
    assert records.get(reserved.id).status is AnalysisStatus.QUEUED  # type: ignore[union-attr]


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
    assert counts["uploads_kept"] == 1  # failed just now: its upload stays for upload_hours
    failed = records.get(record.id)
    assert failed is not None and (failed.status, failed.cause) == (AnalysisStatus.FAILED, DIED)
    bus = bootstrap.event_bus()
    assert [r.event["subject"] for r in bus.records("coderev.analysis.failed")] == [record.id]  # type: ignore[attr-defined]
