"""Recording a batch of delivered events in the audit trail (the audit_sink function's use case).

Duplicates are expected, not errors: Kafka delivery is at least once (a failed batch is
retried whole, a restarted consumer resumes from its last commit). The repository keeps an
event once per source + id and returns False for one it already has; the batch counts them.

A record whose value is not a CloudEvent (not JSON, a tombstone, missing attributes, not
base64) is not skipped silently and does not hold the other records back: the rest of the
batch is recorded first, then `MalformedRecordsError` names each bad record. For a Kafka
trigger that is Lambda's contract for a batch: a failed invocation is retried as a whole
(the good records come again and are duplicates, recorded once) and, once the retries are
spent, the batch's invocation record goes to the trigger's OnFailure destination and the
consumer moves on, so the partition is not blocked for ever and the offsets to inspect are
kept. Reporting only the bad records (Powertools' batch processor and `batchItemFailures`) is
not used: Lambda honours a partial batch response for Kafka only in provisioned mode with
ReportBatchItemFailures; in any other mode it reads a returned response as success and the
bad record would vanish without a trace. A store failure raises as well: the batch is retried.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from coderev.audit.errors import InvalidCloudEventError
from coderev.audit.model import AuditEntry
from coderev.audit.repository import AuditRepository

__all__ = ["BatchOutcome", "DeliveredRecord", "MalformedRecordsError", "record_batch"]


class MalformedRecordsError(Exception):
    """Records of the batch whose value is not a CloudEvents 1.0 event (the batch fails)."""


@dataclass(frozen=True, slots=True)
class DeliveredRecord:
    where: str  # e.g. "<topic>-<partition>@<offset>", for the failure message
    value: Callable[[], bytes]  # the decoded value; ValueError when it cannot be decoded


@dataclass(slots=True)
class BatchOutcome:
    recorded: int = 0
    duplicates: int = 0
    malformed: list[str] = field(default_factory=list)  # "<where>: <why>", one per record

    def raise_for_malformed(self) -> None:
        if self.malformed:
            raise MalformedRecordsError(
                f"{len(self.malformed)} record(s) are not CloudEvents 1.0 events: "
                + "; ".join(self.malformed)
            )


def record_batch(audit: AuditRepository, records: Iterable[DeliveredRecord]) -> BatchOutcome:
    """Record every well-formed event of the batch (once each); list the malformed ones."""
    outcome = BatchOutcome()
    for record in records:
        try:
            entry = AuditEntry.from_cloudevent(_value(record))
        except InvalidCloudEventError as exc:
            outcome.malformed.append(f"{record.where}: {exc}")
            continue
        if audit.record(entry):
            outcome.recorded += 1
        else:
            outcome.duplicates += 1
    return outcome


def _value(record: DeliveredRecord) -> bytes:
    try:
        return record.value()
    except ValueError as exc:  # e.g. the value is not base64: the event itself is damaged
        raise InvalidCloudEventError(f"value is not base64: {exc}") from None
