"""The promotion HTTP API: start a promotion (the promotion state machine decides, then promotes
or quarantines), read a decision record, read production and its history, roll back.

- POST /promotions; GET /promotions/{id};
- GET /production; POST /production/rollback;
- GET /promotions/openapi.json, generated on first request.

Errors map by type to a status through coderev.http.errors; every error answers
`{"error", "message"}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import error_handlers, promotion_routes
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

TITLE = "coderev promotion"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


# before the router's /promotions/<id>, which "openapi.json" would otherwise reach
@app.get("/promotions/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


app.include_router(promotion_routes.router)
error_handlers.install(app, logger, metrics)


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
