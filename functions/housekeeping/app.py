"""Housekeeping (scheduled, replaces Celery beat): unfinished analyses, stale uploads,
expired records.

Triggered by EventBridge schedules. First records FAILED the analyses left QUEUED/RUNNING
whose execution ended without finishing them (or, after CODEREV_RECONCILE_GRACE_MINUTES (90),
that have none), through the state machine starter's DescribeExecution, and those reserved
for a presigned upload that never came (UploadNotReceived) once the URL's lifetime,
CODEREV_UPLOAD_URL_SECONDS (900), and that grace have passed. Then deletes uploads
older than CODEREV_UPLOAD_HOURS (24) whose analysis finished or that no analysis names,
the work files of ended analyses, analysis records (and their reports and code graphs) older
than CODEREV_RETENTION_DAYS (30), expired idempotency records, and coderev's temp dirs whose
process is gone (`coderev.scratch`: what a killed step left in this machine's or sandbox's
temp folder); returns the counts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from coderev import bootstrap
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@traced
@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    from coderev.config import get_settings
    from coderev.scratch import remove_abandoned
    from coderev.service.housekeeping import reconcile, sweep

    settings = get_settings()

    logger.info("sweep", extra={"schedule": event.resources, "time": event.time})
    try:
        reconciled = reconcile(
            bootstrap.analysis_repository(),
            bootstrap.state_machine_starter(),
            bootstrap.event_bus(),
            grace_minutes=settings.reconcile_grace_minutes,
            upload_url_seconds=settings.upload_url_seconds,
        ).as_dict()
        swept = sweep(
            bootstrap.object_store(),
            bootstrap.analysis_repository(),
            upload_hours=settings.upload_hours,
            retention_days=settings.retention_days,
            idempotency=bootstrap.idempotency_store(),
            graphs=bootstrap.graph_store(settings, settings.data_dir / "graph.sqlite"),
        ).as_dict()
        counts = {**reconciled, **swept, "temp_dirs_deleted": len(remove_abandoned())}
    except Exception as exc:
        count_outcome(metrics, type(exc).__name__)
        raise
    for name, value in counts.items():
        metrics.add_metric(name=name, unit="Count", value=value)
    count_outcome(metrics, "Swept")
    return counts
