"""Audit sink (Kafka): every domain event the platform publishes goes into the audit trail.

Triggered by SelfManagedKafka (or MSK) events on the `coderev.<entity>.<verb>` topics, with
the Lambda Kafka event shape (records grouped by `<topic>-<partition>`, values base64). Each
value is a CloudEvents 1.0 JSON event (structured mode); it is recorded with
`bootstrap.audit_repository().record(AuditEntry.from_cloudevent(value))`.

Duplicates are expected, not errors: Kafka delivery is at least once (a failed batch is
retried whole, a restarted consumer resumes from its last commit). The repository keeps an
event once per source + id and returns False for one it already has: counted as the
`DuplicateEvents` metric.

A record whose value is not a CloudEvent (not JSON, a tombstone, missing attributes) is not
skipped silently and does not hold the other records back: the rest of the batch is recorded
first, then the invocation fails with `MalformedRecordsError` naming each bad record's
topic-partition@offset. That is Lambda's contract for a Kafka batch: a failed invocation is
retried as a whole (the good records come again and are duplicates, recorded once) and, once
the retries are spent, the batch's invocation record goes to the trigger's OnFailure
destination (template.yaml: the AuditSinkFailures queue) and the consumer moves on, so the
partition is not blocked for ever and the offsets to inspect are kept. Reporting only the bad
records (Powertools' batch processor and `batchItemFailures`) is not used: Lambda honours a
partial batch response for Kafka only in provisioned mode with ReportBatchItemFailures; in
any other mode it reads a returned response as success and the bad record would vanish
without a trace. A store failure raises as well: the batch is retried, as it should be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source

from coderev import bootstrap
from coderev.audit.errors import InvalidCloudEventError
from coderev.audit.model import AuditEntry
from coderev.service.observability import traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.kafka_event import KafkaEventRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


class MalformedRecordsError(Exception):
    """Records of the batch whose value is not a CloudEvents 1.0 event (the batch fails)."""


def _where(record: KafkaEventRecord) -> str:
    return f"{record.topic}-{record.partition}@{record.offset}"


def _entry(record: KafkaEventRecord) -> AuditEntry:
    try:
        value = record.decoded_value
    except ValueError as exc:  # the value is not base64: the event itself is damaged
        raise InvalidCloudEventError(f"value is not base64: {exc}") from None
    return AuditEntry.from_cloudevent(value)


@traced
@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=KafkaEvent)
def lambda_handler(event: KafkaEvent, context: LambdaContext) -> dict[str, Any]:
    audit = bootstrap.audit_repository()
    recorded = duplicates = 0
    malformed: list[str] = []
    for record in event.records:
        try:
            entry = _entry(record)
        except InvalidCloudEventError as exc:
            malformed.append(f"{_where(record)}: {exc}")
            logger.warning("not a CloudEvent", extra={"record": _where(record), "error": str(exc)})
            continue
        if audit.record(entry):
            recorded += 1
        else:
            duplicates += 1
            logger.info("duplicate event", extra={"id": entry.event_id, "source": entry.source})
    metrics.add_metric(name="EventsRecorded", unit="Count", value=recorded)
    metrics.add_metric(name="DuplicateEvents", unit="Count", value=duplicates)
    if malformed:
        metrics.add_metric(name="MalformedRecords", unit="Count", value=len(malformed))
        raise MalformedRecordsError(
            f"{len(malformed)} record(s) are not CloudEvents 1.0 events: " + "; ".join(malformed)
        )
    return {"recorded": recorded, "duplicates": duplicates}
