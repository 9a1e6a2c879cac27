"""Housekeeping (replaces Celery beat): unfinished analyses, stale uploads, expired records.

- `reconcile`: an analysis left QUEUED or RUNNING whose execution will never finish it is
  recorded FAILED through `mark_failed` (which publishes `coderev.analysis.failed`), with
  the execution's error and cause. The execution is asked through the StateMachineStarter
  port (`describe`: DescribeExecution on AWS, the interpreter's store locally). One whose
  execution ended (FAILED, TIMED_OUT, ABORTED: e.g. closed because the `coderev serve` that
  ran it crashed) is failed at once: nothing can move it any more. One whose execution does
  not exist, or QUEUED with no execution at all (ingest stopped before starting one), is
  failed only once not updated for `grace_minutes`, which outlasts ingest's retries; so a
  just-started analysis is never touched, whatever its state. One reserved for a presigned
  upload that has not arrived is failed (`UploadNotReceived`) once its URL has expired and
  `grace_minutes` more have passed (an upload started just before the expiry may still be
  landing); the record keeps no expiry, so its creation plus `upload_url_seconds`, the URL's
  configured lifetime, is taken. The reservation is released first, so an upload arriving
  meanwhile is never failed with it and gets an analysis of its own. `closed_only` leaves
  these three cases alone (a platform starting is sure only of the executions it finds
  ended).
- An upload is stale once older than `upload_hours` (its newest analysis' age) and either no
  analysis names it or all its analyses finished (SUCCEEDED or FAILED): a running analysis
  keeps its archive.
- Analysis records in a terminal status not updated for `retention_days` are deleted, and
  their reports and code graphs with them; the work files of ended analyses go at once (see
  `retention`).
- Expired idempotency records are deleted when the store keeps them (SQLite has no TTL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coderev.analyses.errors import AnalysisNotFoundError, InvalidTransitionError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.ports import EventBus, GraphStore, ObjectStore, StateMachineStarter
from coderev.service.retention import RetentionPlan, apply_retention, cutoffs, plan_retention

__all__ = ["UPLOADED_AT", "ReconcileCounts", "SweepCounts", "plan_sweep", "reconcile", "sweep"]

logger = logging.getLogger(__name__)

_PAGE = 500
UPLOADED_AT = "uploaded-at"  # object metadata: ISO 8601 UTC time of an HTTP upload


@dataclass(frozen=True, slots=True)
class SweepCounts:
    uploads_deleted: int
    reports_deleted: int
    records_deleted: int
    uploads_kept: int
    idempotency_deleted: int = 0
    work_files_deleted: int = 0
    graphs_deleted: int = 0
    baselines_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "uploads_deleted": self.uploads_deleted,
            "reports_deleted": self.reports_deleted,
            "records_deleted": self.records_deleted,
            "uploads_kept": self.uploads_kept,
            "idempotency_deleted": self.idempotency_deleted,
            "work_files_deleted": self.work_files_deleted,
            "graphs_deleted": self.graphs_deleted,
            "baselines_deleted": self.baselines_deleted,
        }


def sweep(
    store: ObjectStore,
    records: AnalysisRepository,
    *,
    upload_hours: float = 24.0,
    retention_days: float = 30.0,
    now: datetime | None = None,
    upload_time: Callable[[str], datetime | None] | None = None,
    idempotency: object | None = None,
    graphs: GraphStore | None = None,
) -> SweepCounts:
    """One sweep; see the module docstring and `retention` (which plans what goes: uploads,
    reports, records, work files and, given `graphs`, code graphs). `upload_time(key)` tells
    when an upload arrived (the object store port has no timestamps): by default the
    created_at of its record, else the `uploaded-at` metadata accept_upload writes; an upload
    of unknown age is kept. `idempotency`: an idempotency store; its expired records are
    deleted when it keeps them (SQLite: `delete_expired`; Redis expires them itself)."""
    moment = now or datetime.now(UTC)
    plan = plan_sweep(store, records, upload_hours=upload_hours, retention_days=retention_days,
                      now=moment, upload_time=upload_time, graphs=graphs)  # fmt: skip
    counts = apply_retention(plan, store, records, graphs)
    delete_expired = getattr(idempotency, "delete_expired", None)
    idempotency_deleted = int(delete_expired(moment.timestamp())) if delete_expired else 0
    return SweepCounts(
        counts["uploads_deleted"], counts["reports_deleted"], counts["records_deleted"],
        counts["uploads_kept"], idempotency_deleted, counts["work_files_deleted"],
        counts["graphs_deleted"], counts["baselines_deleted"],
    )  # fmt: skip


def plan_sweep(
    store: ObjectStore,
    records: AnalysisRepository,
    *,
    upload_hours: float = 24.0,
    retention_days: float = 30.0,
    now: datetime | None = None,
    upload_time: Callable[[str], datetime | None] | None = None,
    graphs: GraphStore | None = None,
) -> RetentionPlan:
    """What `sweep` would delete now, without deleting it (`coderev gc --dry-run`)."""
    upload_cutoff, record_cutoff = cutoffs(now or datetime.now(UTC), upload_hours, retention_days)
    list_graphs = getattr(graphs, "graph_ids", None)  # the SQLite store can list its graphs

    def arrival(key: str, record: AnalysisRecord | None) -> datetime | None:
        return upload_time(key) if upload_time is not None else _arrival(store, record)(key)

    return plan_retention(
        store, _all_records(records), upload_cutoff=upload_cutoff, record_cutoff=record_cutoff,
        arrival=arrival, graph_ids=list_graphs() if callable(list_graphs) else (),
    )  # fmt: skip


def _arrival(store: ObjectStore, record: AnalysisRecord | None) -> Callable[[str], datetime | None]:
    def arrival(key: str) -> datetime | None:
        if record is not None:
            return record.created_at
        info = store.head(key)
        stamp = info.metadata.get(UPLOADED_AT) if info is not None else None
        try:
            return datetime.fromisoformat(stamp) if stamp else None
        except ValueError:
            return None

    return arrival


def _all_records(records: AnalysisRepository) -> list[AnalysisRecord]:
    found: list[AnalysisRecord] = []
    before: datetime | None = None
    while True:
        page = records.list(created_before=before, limit=_PAGE)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        before = page[-1].created_at


# --- analyses whose execution will never finish them ------------------------------------------

_UNFINISHED = (AnalysisStatus.QUEUED, AnalysisStatus.RUNNING)
_ERROR_OF_STATUS = {"TIMED_OUT": "States.Timeout", "ABORTED": "States.Aborted"}


_UPLOAD_NOT_RECEIVED = "UploadNotReceived"


@dataclass(frozen=True, slots=True)
class ReconcileCounts:
    analyses_failed: int  # their execution ended, or is missing or was never started
    analyses_checked: int
    analyses_unchecked: int = 0  # their execution could not be described (see the log)
    uploads_not_received: int = 0  # reservations failed: their upload URL expired unused

    def as_dict(self) -> dict[str, int]:
        return {
            "analyses_failed": self.analyses_failed,
            "analyses_checked": self.analyses_checked,
            "analyses_unchecked": self.analyses_unchecked,
            "uploads_not_received": self.uploads_not_received,
        }


def reconcile(
    records: AnalysisRepository,
    starter: StateMachineStarter,
    bus: EventBus,
    *,
    grace_minutes: float = 90.0,
    upload_url_seconds: float = 900.0,
    now: datetime | None = None,
    closed_only: bool = False,
) -> ReconcileCounts:
    """Record FAILED the unfinished analyses no execution will finish, and the reservations
    whose upload URL expired unused; see the module docstring."""
    from coderev.pipeline.steps_finalize import mark_failed

    settled_before = (now or datetime.now(UTC)) - timedelta(minutes=grace_minutes)
    if closed_only:
        settled_before = datetime.min.replace(tzinfo=UTC)  # nothing is old enough
    url_lifetime = timedelta(seconds=upload_url_seconds)
    failed = checked = unchecked = not_received = 0
    for record in _unfinished(records):
        checked += 1
        if record.awaiting_upload:
            not_received += _expire(records, bus, record, url_lifetime, settled_before)
            continue
        try:
            verdict = _verdict(record, starter, settled_before)
        except Exception as exc:  # a backend error (e.g. access denied): try the next one
            logger.warning("cannot describe %s of analysis %s: %s",
                           record.execution_id, record.id, exc)  # fmt: skip
            unchecked += 1
            continue
        if verdict is None:
            continue
        try:
            mark_failed(records, bus, record.id, *verdict)
        except (InvalidTransitionError, AnalysisNotFoundError):
            continue  # it finished, or went, meanwhile
        logger.warning("analysis %s recorded FAILED: %s: %s", record.id, *verdict)
        failed += 1
    return ReconcileCounts(failed, checked, unchecked, not_received)


def _expire(
    records: AnalysisRepository,
    bus: EventBus,
    record: AnalysisRecord,
    url_lifetime: timedelta,
    settled_before: datetime,
) -> int:
    """1 when `record`, a reservation whose upload URL expired before `settled_before`, is
    released and recorded FAILED; 0 while its upload may still come, or once it came."""
    from coderev.pipeline.steps_finalize import mark_failed

    expired_at = record.created_at + url_lifetime
    if record.status is not AnalysisStatus.QUEUED or expired_at >= settled_before:
        return 0
    if not records.release_reservation(record.id):
        return 0  # its upload was claimed, or it finished or went, meanwhile
    cause = (
        f"no upload arrived for {record.object_key}: "
        f"its upload URL expired at {expired_at.isoformat(timespec='seconds')}"
    )
    try:
        mark_failed(records, bus, record.id, _UPLOAD_NOT_RECEIVED, cause)
    except (InvalidTransitionError, AnalysisNotFoundError):
        return 0  # it went meanwhile
    logger.warning("analysis %s recorded FAILED: %s: %s", record.id, _UPLOAD_NOT_RECEIVED, cause)
    return 1


def _verdict(
    record: AnalysisRecord, starter: StateMachineStarter, settled_before: datetime
) -> tuple[str, str] | None:
    """(error, cause) when no execution will finish `record`; None while one may."""
    settled = record.updated_at < settled_before
    arn = record.execution_id
    if arn is None:
        # RUNNING without an ARN: an execution moved it, we cannot ask which; leave it
        if record.status is AnalysisStatus.QUEUED and settled:
            return "States.Runtime", "no state machine execution was started for it"
        return None
    described = starter.describe(arn)
    if described is None:
        return ("ExecutionDoesNotExist", f"its execution {arn} does not exist") if settled else None
    if not described.closed or described.status == "SUCCEEDED":
        return None  # still running; or succeeded, which Finalize records before it ends
    error = described.error or _ERROR_OF_STATUS.get(described.status, "States.Runtime")
    cause = described.cause or f"its execution {arn} ended {described.status}"
    return error, cause


def _unfinished(records: AnalysisRepository) -> Iterator[AnalysisRecord]:
    for status in _UNFINISHED:
        before: datetime | None = None
        while True:
            page = records.list(status=status, created_before=before, limit=_PAGE)
            yield from page
            if len(page) < _PAGE:
                break
            before = page[-1].created_at
