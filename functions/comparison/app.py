"""comparison: the paired comparison of two arms (a candidate review configuration against the
one in force) over the same tasks, with a recommendation the promotion policy reads.

Invoked directly with a comparison request (`{"primary", "guards", "metrics", "alpha", "mde",
"seed", "sequential", "pairs": [{"task", "baseline": {...}, "candidate": {...}}]}`, see
coderev.comparison.models) or over HTTP (POST /comparisons with that body); both answer the
result as plain JSON (coderev.comparison.result): per metric the estimate, bootstrap CI,
p-value, n and effect sizes; the sequential looks; promote / keep / inconclusive with reasons.
Nothing is stored: the same request and seed give the same answer. Errors map by type
(coderev.http.errors): a malformed request or an undeclared metric is 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from coderev.comparison.models import ComparisonRequest
from coderev.http import error_handlers
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
error_handlers.install(app, logger, metrics)


def _compare(request: ComparisonRequest) -> dict[str, Any]:
    from coderev.comparison.paired_comparison import compare  # numpy and scipy: loaded on first use

    result = compare(request.paired_metrics(), request.plan())
    decision = result.recommendation.decision
    logger.info(
        "comparison",
        extra={
            "primary": result.primary,
            "pairs": result.n_pairs,
            "decision": decision,
            "reasons": [r.code for r in result.recommendation.reasons],
        },
    )
    count_outcome(metrics, decision.capitalize())
    return result.as_dict()


@app.post("/comparisons", summary="Compare two arms over the same tasks, with a recommendation")
def create(request: ComparisonRequest) -> Response[dict[str, Any]]:
    return Response(200, "application/json", _compare(request))


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from coderev.comparison.errors import InvalidComparisonRequestError

    request = error_handlers.direct_request(ComparisonRequest, event, InvalidComparisonRequestError)
    return _compare(request)


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return error_handlers.proxy_or_direct(app, metrics, event, context, _invoke)
