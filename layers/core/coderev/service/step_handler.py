"""The one shape every analysis state-machine Task handler has, built once.

A step handler parses the task's JSON, runs one use case and returns its small JSON result.
Errors are raised, not returned: the state machine's Retry and Catch match them by type (the
Lambda error's errorType). Each outcome (success or error type) is counted as a metric, and
logs carry the analysis id as correlation id. The use case is imported on first call by the
`run` callable, so a malformed input fails fast and the handler module's import stays small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

Handler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def step_handler[T](
    parse: Callable[[dict[str, Any]], T],
    run: Callable[[T], dict[str, Any]],
    outcome: str,
    *,
    correlation: str = "analysis_id",
) -> Handler:
    """A Lambda handler: `parse` the event, `run` the use case, count `outcome` on success;
    logs correlated by the event's `correlation` field."""
    logger = Logger()
    metrics = Metrics()

    @traced
    @logger.inject_lambda_context(correlation_id_path=correlation)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        task = parse(event)
        try:
            result = run(task)
        except Exception as exc:
            count_outcome(metrics, type(exc).__name__)
            logger.warning("step failed", extra={"error": type(exc).__name__})
            raise
        count_outcome(metrics, outcome)
        return result

    return lambda_handler
