"""Provider health (scheduled): probes each enabled provider cheaply and records the outcome.

Triggered by an EventBridge schedule (rate expression in template.yaml). Each enabled
provider (the registry's, else those the SDKs' environment variables imply) is asked
`ModelProvider.probe` on its cheapest enabled model; the outcome and the count of consecutive
failures become its health row, which the router's circuit breaker reads through
`ProviderCatalog.health()`. Returns the counts and each provider's outcome (errors redacted:
never a key).
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
@logger.inject_lambda_context(correlation_id_path="id", log_event=False)
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    from coderev.providers.health import probe_providers

    logger.info("probe", extra={"schedule": event.resources, "time": event.time})
    try:
        report = probe_providers(bootstrap.registry_catalog(), bootstrap.provider_repository())
    except Exception as exc:
        count_outcome(metrics, type(exc).__name__)
        raise
    failing = [health for health in report.checked if not health.ok]
    metrics.add_metric(name="providers_probed", unit="Count", value=len(report.checked))
    metrics.add_metric(name="providers_failing", unit="Count", value=len(failing))
    for health in failing:
        logger.warning("provider failing", extra={"provider": health.provider,
                       "error": health.error,
                       "consecutive_failures": health.consecutive_failures})  # fmt: skip
    count_outcome(metrics, "Probed")
    return report.as_dict()
