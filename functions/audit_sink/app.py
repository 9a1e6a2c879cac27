"""Audit sink (Kafka): every domain event the platform publishes goes into the audit trail.

Triggered by SelfManagedKafka (or MSK) events on the `coderev.<entity>.<verb>` topics, with
the Lambda Kafka event shape (records grouped by `<topic>-<partition>`, values base64). Each
value is a CloudEvents 1.0 JSON event, recorded once (`coderev.audit.sink.record_batch`: why
duplicates are counted and a malformed record fails the batch after the good ones).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import KafkaEvent, event_source

from coderev import bootstrap
from coderev.audit.sink import DeliveredRecord, MalformedRecordsError, record_batch
from coderev.service.observability import traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

__all__ = ["MalformedRecordsError", "lambda_handler"]

logger = Logger()
metrics = Metrics()


@traced
@logger.inject_lambda_context
@metrics.log_metrics
@event_source(data_class=KafkaEvent)
def lambda_handler(event: KafkaEvent, context: LambdaContext) -> dict[str, Any]:
    delivered = (
        DeliveredRecord(f"{r.topic}-{r.partition}@{r.offset}", lambda r=r: r.decoded_value)
        for r in event.records
    )
    outcome = record_batch(bootstrap.audit_repository(), delivered)
    metrics.add_metric(name="EventsRecorded", unit="Count", value=outcome.recorded)
    metrics.add_metric(name="DuplicateEvents", unit="Count", value=outcome.duplicates)
    if outcome.malformed:
        metrics.add_metric(name="MalformedRecords", unit="Count", value=len(outcome.malformed))
        logger.warning("records that are not CloudEvents", extra={"records": outcome.malformed})
    outcome.raise_for_malformed()
    return {"recorded": outcome.recorded, "duplicates": outcome.duplicates}
