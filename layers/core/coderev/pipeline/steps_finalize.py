"""The last steps of the analysis state machine: Finalize, and MarkFailed (its Catch).

Finalize publishes the reports Review rendered under `reports/<id>/`, records the analysis
SUCCEEDED with their keys and the counts of `outcome.json`, publishes
`coderev.analysis.completed` and deletes `work/<id>/`. MarkFailed records FAILED with the
error and cause the Catch gives and publishes `coderev.analysis.failed`.

Delivery is at least once, as with any event source: a Finalize retried after it published
(or run again after it finished) publishes again. The event's CloudEvents `id` is derived
from the analysis (`<id>:completed`, `<id>:failed`), so a consumer drops the repeat by
(source, id), as the CloudEvents spec intends; no outbox is needed for that guarantee. A
Finalize run again after it finished finds no work files but a SUCCEEDED record, and
republishes from the record: the same output, the same event.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from coderev.analyses.errors import AnalysisNotFoundError, InvalidTransitionError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.domain.events import cloud_event, topic_for
from coderev.domain.findings import FindingStatus, Severity
from coderev.domain.report import ReviewResult
from coderev.pipeline.steps_work import (
    MissingWorkFileError,
    ReviewOutcome,
    WorkKeys,
    discard_held,
    read_document,
    work_exists,
)
from coderev.ports import EventBus, ObjectStore
from coderev.reports.writer import FILENAMES

__all__ = [
    "COMPLETED",
    "CONTENT_TYPES",
    "EVENT_SOURCE",
    "FAILED",
    "MAX_CAUSE_CHARS",
    "finalize",
    "mark_failed",
]

COMPLETED = "coderev.analysis.completed"
FAILED = "coderev.analysis.failed"
EVENT_SOURCE = "/coderev/analysis"
CONTENT_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
MAX_CAUSE_CHARS = 32_768  # Step Functions' own limit on a Catch's Cause
MAX_ERROR_CHARS = 256
_EVENT_MESSAGE_CHARS = 1_000


def finalize(
    store: ObjectStore,
    records: AnalysisRepository,
    bus: EventBus,
    analysis_id: str,
    formats: Sequence[str] = tuple(FILENAMES),
) -> dict[str, Any]:
    """Publish the reports of a reviewed analysis; see the module docstring."""
    keys = WorkKeys(analysis_id)
    record = records.get(analysis_id)
    if record is None:
        raise AnalysisNotFoundError(analysis_id)
    if record.status not in AnalysisStatus.SUCCEEDED.predecessors():
        raise InvalidTransitionError(analysis_id, record.status, AnalysisStatus.SUCCEEDED)
    if record.status is not AnalysisStatus.SUCCEEDED or work_exists(store, keys.outcome):
        outcome = read_document(store, keys.outcome, ReviewOutcome, analysis_id)
        report_keys: dict[str, str] = {}
        for fmt in formats:
            rendered = keys.rendered(FILENAMES[fmt])
            key = keys.report(FILENAMES[fmt])
            try:  # in the store (S3's CopyObject): a report's bytes never pass through here
                store.copy(rendered, key)  # with the content type Review gave it
            except KeyError:
                raise MissingWorkFileError(rendered, "absent; did Review run?") from None
            report_keys[fmt] = key
        first = record.status is not AnalysisStatus.SUCCEEDED
        record = records.update_status(
            analysis_id,
            AnalysisStatus.SUCCEEDED,
            report_keys=report_keys,
            counts=outcome.counts,
        )
        if first:  # a retried Finalize counts the analysis once
            _ended(record, outcome.counts.get("findings"))
    event = cloud_event(
        COMPLETED,
        EVENT_SOURCE,
        _event_data(record),
        subject=analysis_id,
        id=f"{analysis_id}:completed",
    )
    bus.publish(topic_for(COMPLETED), event, key=analysis_id)
    bus.flush()
    for info in list(store.list(keys.prefix)):
        store.delete(info.key)
    discard_held(keys.prefix)
    return {
        "analysis_id": analysis_id,
        "status": record.status.value,
        "report_keys": dict(record.report_keys),
        "counts": dict(record.counts),
    }


def mark_failed(
    records: AnalysisRepository,
    bus: EventBus,
    analysis_id: str,
    error: str | None,
    cause: str | None,
) -> dict[str, Any]:
    """Record the analysis FAILED with the Catch's Error and Cause; publish the failure.

    The cause is kept whole up to MAX_CAUSE_CHARS; the event carries the error name and the
    cause's message (a Lambda error's `errorMessage` when the cause is its JSON). Its work
    files stay (for `coderev executions show`); what this process held of them goes.
    """
    name = (error or "Error")[:MAX_ERROR_CHARS]
    text = (cause or "")[:MAX_CAUSE_CHARS]
    record = records.update_status(analysis_id, AnalysisStatus.FAILED, error=name, cause=text)
    discard_held(WorkKeys(analysis_id).prefix)
    _ended(record, None)
    message = cause_message(text)
    data = {**_event_data(record), "error": name, "message": message[:_EVENT_MESSAGE_CHARS]}
    event = cloud_event(FAILED, EVENT_SOURCE, data, subject=analysis_id, id=f"{analysis_id}:failed")
    bus.publish(topic_for(FAILED), event, key=analysis_id)
    bus.flush()
    return {"analysis_id": analysis_id, "status": record.status.value, "error": name}


def _ended(record: AnalysisRecord, findings: int | None) -> None:
    from coderev.telemetry import metrics

    seconds = max(0.0, (record.updated_at - record.created_at).total_seconds())
    metrics.analysis_ended(record.status.value, seconds, findings)


def cause_message(cause: str) -> str:
    """The human part of a Catch's Cause: `errorMessage` of a Lambda error's JSON, else as is."""
    try:
        decoded = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(decoded, dict) and isinstance(decoded.get("errorMessage"), str):
        return str(decoded["errorMessage"])
    return cause


def counts(result: ReviewResult) -> dict[str, int]:
    """What the record and the completion event say about a result, in numbers."""
    by_severity = Counter(f.severity for f in result.findings)
    figures = {
        "files": len(result.files),
        "python_files": sum(1 for f in result.files if f.language == "python"),
        "findings": len(result.findings),
        "new": sum(1 for f in result.findings if f.status is FindingStatus.NEW),
        "existing": sum(1 for f in result.findings if f.status is FindingStatus.EXISTING),
        "modules": len(result.architecture.modules),
        "cycles": len(result.architecture.cycles),
        "violations": len(result.architecture.violations),
        "comments": len(result.review.comments),
        "skipped": len(result.skipped),
    }
    figures.update({s.value: by_severity.get(s, 0) for s in Severity})
    return figures


def _event_data(record: AnalysisRecord) -> dict[str, Any]:
    return {
        "analysis_id": record.id,
        "status": record.status.value,
        "project_id": record.project_id,
        "bucket": record.bucket,
        "object_key": record.object_key,
        "version_id": record.version_id,
        "etag": record.etag,
        "report_keys": dict(record.report_keys),
        "counts": dict(record.counts),
    }
