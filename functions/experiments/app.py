"""The experiments HTTP API: review configurations, experiments and their lifecycle, both
arms' observations, and feedback on review comments.

- GET, POST /configurations; GET /configurations/{ref};
- GET, POST /experiments; GET /experiments/{id}; POST /experiments/{id}/{start|evaluate|archive}
  (409 when the state does not allow it); GET, POST /experiments/{id}/observations;
- POST /feedback; GET /feedback/acceptance; GET, POST /feedback/new (the reports' links);
- GET /experiments/openapi.json, generated on first request.

Errors map by type to a status through coderev.http.errors; every error answers
`{"error", "message"}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import error_handlers, experiments_routes, feedback_routes
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


TITLE = "coderev experiments"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


# before the router's /experiments/<id>, which "openapi.json" would otherwise reach
@app.get("/experiments/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


app.include_router(experiments_routes.router)
app.include_router(feedback_routes.router)
error_handlers.install(app, logger, metrics)


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
