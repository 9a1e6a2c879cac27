"""AnalyzeShard: analyse one shard's files (one iteration of the AnalyzeShards Map).

A Task of the analysis state machine (state_machines/analysis.asl.json): the input is the
task's JSON, the output is the step's small JSON result. Errors are raised, not returned: the
state machine's Retry and Catch match them by type (the Lambda error's errorType). The step
(pipeline, SQLAlchemy) is imported on first call, so a malformed input fails fast and the
module's import stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from coderev import bootstrap
from coderev.service.observability import count_outcome, traced
from coderev.service.task_inputs import ShardTask

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()


@traced
@logger.inject_lambda_context(correlation_id_path="analysis_id")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ShardTask.from_event(event)
    from coderev.pipeline.steps import analyze_shard

    try:
        result = analyze_shard(bootstrap.object_store(), task.analysis_id, task.shard)
    except Exception as exc:
        count_outcome(metrics, type(exc).__name__)
        logger.warning("step failed", extra={"error": type(exc).__name__})
        raise
    count_outcome(metrics, "ShardAnalyzed")
    return result
