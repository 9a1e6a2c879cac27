"""Ingest: an archive landed under uploads/ → validate it, record it, start its analysis.

S3 ObjectCreated, async (Lambda retries, then the DLQ). Idempotent per object version twice:
Powertools idempotency (imported on first use: it imports boto3) and ingest_upload itself.
Errors map by type to an outcome through errors().
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source

from coderev import bootstrap
from coderev.service.errors import StateMachineNotConfiguredError
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@cache
def errors() -> dict[type[Exception], tuple[str, bool]]:
    """Error type -> (outcome metric, raise again: Lambda retries, then dead-letters)."""
    from aws_lambda_powertools.utilities.idempotency import exceptions as idempotency

    in_progress = idempotency.IdempotencyAlreadyInProgressError  # another invocation has it
    return {in_progress: ("InProgress", False), StateMachineNotConfiguredError: ("Unset", True)}


def _ingest(record: dict[str, Any]) -> dict[str, Any]:
    from coderev.service.ingest import Upload, ingest_upload

    return ingest_upload(
        Upload.from_s3_record(record),
        store=bootstrap.object_store(),
        records=bootstrap.analysis_repository(),
        bus=bootstrap.event_bus(),
        starter=bootstrap.state_machine_starter(),
        state_machine=os.environ.get("ANALYSIS_STATE_MACHINE_ARN"),
    ).as_dict()


@cache  # first use: the store is infrastructure, the package costly (see above)
def _idempotent() -> tuple[Callable[..., dict[str, Any]], IdempotencyConfig]:
    from coderev.idempotency.s3_objects import once_per_object_version

    return once_per_object_version(_ingest, bootstrap.idempotency_store())


@traced
@logger.inject_lambda_context(correlation_id_path='Records[0].responseElements."x-amz-request-id"')
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    run, config = _idempotent()
    config.register_lambda_context(context)
    outcomes = []
    for record in event.records:
        try:
            outcome = run(record=record.raw_event)
        except Exception as exc:
            name, retry = errors().get(type(exc), (type(exc).__name__, True))
            if retry:
                count_outcome(metrics, name)
                raise
            outcome = {"key": record.s3.get_object.key, "outcome": name}
        count_outcome(metrics, outcome["outcome"])
        logger.info("ingested", extra=outcome)
        outcomes.append(outcome)
    return {"outcomes": outcomes}
