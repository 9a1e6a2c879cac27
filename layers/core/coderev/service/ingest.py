"""Ingest: an archive landed under `uploads/` → check it, record it, start its analysis.

Run once per object version, whatever the number of notifications: the record is found by
its idempotency key (bucket, key, version or etag), and the state machine is started only
while the record is QUEUED without an execution, under the analysis id as execution name
(StartExecution returns the running execution for a name and input it has seen). Powertools'
idempotency in front of this (functions/ingest) spares the work; this keeps it correct.

A hostile or unreadable archive, or a malformed analysis request in its metadata (see
`coderev.pipeline.request`) or one naming a baseline that does not exist, is recorded FAILED
with its cause (and `coderev.analysis.failed` published); nothing is started for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from coderev.analyses.errors import InvalidTransitionError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus, NewAnalysis
from coderev.analyses.repository import AnalysisRepository
from coderev.domain.errors import InputError
from coderev.ports import EventBus, ObjectStore, StateMachineStarter
from coderev.service.errors import StateMachineNotConfiguredError
from coderev.telemetry import tracing

__all__ = ["IngestOutcome", "Upload", "ingest_upload"]

UPLOADS_PREFIX = "uploads/"


@dataclass(frozen=True, slots=True)
class Upload:
    """One object of an S3 ObjectCreated notification."""

    bucket: str
    key: str
    etag: str
    version_id: str | None = None
    size: int | None = None

    @classmethod
    def from_s3_record(cls, record: Mapping[str, Any]) -> Upload:
        """The object of one S3 event record (its key is URL-encoded, spaces as '+')."""
        s3 = record["s3"]
        obj = s3["object"]
        return cls(
            bucket=s3["bucket"]["name"],
            key=unquote_plus(obj["key"]),
            etag=obj.get("eTag", ""),
            version_id=obj.get("versionId"),
            size=obj.get("size"),
        )


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    analysis_id: str
    status: str
    outcome: str  # Started | Duplicate | Rejected | Ignored | Replaced
    execution_arn: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "analysis_id": self.analysis_id,
            "status": self.status,
            "outcome": self.outcome,
            "execution_arn": self.execution_arn,
            "error": self.error,
        }


def ingest_upload(
    upload: Upload,
    *,
    store: ObjectStore,
    records: AnalysisRepository,
    bus: EventBus,
    starter: StateMachineStarter,
    state_machine: str | None,
) -> IngestOutcome:
    """See the module docstring. Raises StateMachineNotConfiguredError without a machine."""
    if not upload.key.startswith(UPLOADS_PREFIX):
        return IngestOutcome("", "", "Ignored")
    if not state_machine:
        raise StateMachineNotConfiguredError("ANALYSIS_STATE_MACHINE_ARN is not set")
    new = NewAnalysis(upload.bucket, upload.key, upload.etag.strip('"'), upload.version_id)
    record, _created = records.create_if_absent(new)
    tracing.set_attributes({"coderev.analysis_id": record.id})
    if record.status is not AnalysisStatus.QUEUED or record.execution_id:
        return _outcome(record, "Duplicate")
    rejection = _rejection(store, record)
    if rejection is not None:
        from coderev.pipeline.steps_finalize import mark_failed

        error, cause = rejection
        mark_failed(records, bus, record.id, error, cause)
        return IngestOutcome(record.id, AnalysisStatus.FAILED.value, "Rejected", error=error)
    task_input: dict[str, Any] = {"analysis_id": record.id, "baseline_key": None}
    trace = tracing.carrier()  # the execution joins this trace (starters ignore it comparing)
    if trace:
        task_input[tracing.TRACE_KEY] = trace
    arn = starter.start(state_machine, record.id, task_input)
    return _outcome(_with_execution(records, record.id, arn), "Started")


def _rejection(store: ObjectStore, record: AnalysisRecord) -> tuple[str, str] | None:
    """(error, cause) when the recorded upload cannot be analysed; None when it can."""
    from coderev.analysis.archive import check_archive_bytes
    from coderev.pipeline.request import ReviewRequest

    info = store.head(record.object_key)
    if info is None or info.etag.strip('"') != record.etag:
        return "ArchiveChangedError", f"{record.object_key} was replaced or deleted"
    try:
        request = ReviewRequest.from_metadata(info.metadata)
    except InputError as exc:
        return type(exc).__name__, str(exc)
    if request.baseline_key is not None and store.head(request.baseline_key) is None:
        return "BaselineError", f"baseline {request.baseline_key} does not exist"
    if request.config_key is not None and store.head(request.config_key) is None:
        return "RequestError", f"the configuration {request.config_key} does not exist"
    try:
        # on a local store Index runs next in this process: it takes the members read here
        local = bool(getattr(store, "local", False))
        check_archive_bytes(record.source_name, store.get(record.object_key), keep=local)
    except KeyError:
        return "ArchiveChangedError", f"{record.object_key} was deleted"
    except InputError as exc:
        return type(exc).__name__, str(exc)
    return None


def _with_execution(records: AnalysisRepository, analysis_id: str, arn: str) -> AnalysisRecord:
    """Keep the execution ARN; the execution may already have moved the record on."""
    for _ in range(3):
        current = records.get(analysis_id)
        if current is None:
            break
        try:
            return records.update_status(
                analysis_id, current.status, execution_id=arn,
                error=current.error, cause=current.cause,
            )  # fmt: skip
        except InvalidTransitionError:
            continue  # it moved between the read and the write: read again
    current = records.get(analysis_id)
    assert current is not None
    return current


def _outcome(record: AnalysisRecord, outcome: str) -> IngestOutcome:
    return IngestOutcome(record.id, record.status.value, outcome, record.execution_id)
