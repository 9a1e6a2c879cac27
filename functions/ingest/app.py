"""Ingest: an archive landed under uploads/ → validate it, record it, start its analysis.

S3 ObjectCreated, invoked asynchronously (Lambda retries, then the dead-letter queue). Each
record passes Powertools idempotency keyed on its object version (coderev.idempotency), and
ingest_upload is idempotent per version too. Errors map by type to an outcome via ERRORS.
"""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.idempotency import idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from coderev import bootstrap
from coderev.idempotency.s3_objects import object_version_config
from coderev.service.errors import StateMachineNotConfiguredError
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
CONFIG = object_version_config()
# error type -> (outcome metric, raise again: Lambda retries, then dead-letters); others raise
ERRORS: dict[type[Exception], tuple[str, bool]] = {
    IdempotencyAlreadyInProgressError: ("InProgress", False),  # another invocation has it
    StateMachineNotConfiguredError: ("NotConfigured", True),
}


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


@cache  # built on first use: the persistence store is infrastructure
def _idempotent_ingest() -> Callable[..., dict[str, Any]]:
    store = bootstrap.idempotency_store()
    wrapped: Callable[..., dict[str, Any]] = idempotent_function(
        _ingest, data_keyword_argument="record", config=CONFIG, persistence_store=store
    )
    return wrapped


@traced
@logger.inject_lambda_context(correlation_id_path='Records[0].responseElements."x-amz-request-id"')
@metrics.log_metrics
@event_source(data_class=S3Event)
def lambda_handler(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    CONFIG.register_lambda_context(context)
    outcomes = []
    for record in event.records:
        try:
            outcome = _idempotent_ingest()(record=record.raw_event)
        except Exception as exc:
            name, retry = ERRORS.get(type(exc), (type(exc).__name__, True))
            if retry:
                count_outcome(metrics, name)
                raise
            outcome = {"key": record.s3.get_object.key, "outcome": name}
        count_outcome(metrics, outcome["outcome"])
        logger.info("ingested", extra=outcome)
        outcomes.append(outcome)
    return {"outcomes": outcomes}
