"""model_router: which models a task goes to, in which order, and why (the route preview).

Invoked directly with a task (`{"kind", "language", "input_tokens", "tenant", "tier",
"project", "budget_usd", "reviewer"}`) or over HTTP (POST /routes/preview with that body);
both answer the decision: the rule, the experiment arm, the candidates (provider, model,
prompt version, reason) and the models left out with why, plus the same as text. Nothing is
called or spent: the router (bootstrap.router(): the provider catalog, quotas, breaker)
only chooses. Errors map by type (coderev.http.errors): a bad reviewer or rules file is 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from coderev import bootstrap
from coderev.http import error_handlers
from coderev.routing.preview import RoutePreview, RoutePreviewRequest
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
error_handlers.install(app, logger, metrics)


def _preview(request: RoutePreviewRequest) -> RoutePreview:
    decision = bootstrap.router().route(request.task())
    logger.info("route", extra={"rule": decision.rule, "arm": decision.arm,
                                "candidates": len(decision.candidates)})  # fmt: skip
    count_outcome(metrics, "Routed" if decision.candidates else "NoCandidate")
    return RoutePreview.of(decision)


@app.post("/routes/preview", summary="The models a task would go to, in order, and why")
def preview(request: RoutePreviewRequest) -> Response[RoutePreview]:
    return Response(200, "application/json", _preview(request))


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from coderev.routing.errors import InvalidRouteRequestError

    request = error_handlers.direct_request(RoutePreviewRequest, event, InvalidRouteRequestError)
    return _preview(request).model_dump(mode="json")


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return error_handlers.proxy_or_direct(app, metrics, event, context, _invoke)
