"""The providers HTTP API: the provider registry.

- GET /providers; POST /providers (201); GET, PATCH /providers/{name};
- POST /providers/{name}/disable; PUT /providers/{name}/key (rotate the API key);
- GET /providers/openapi.json, generated on first request.

API keys are write-only: sealed as they arrive, never in a response, an error, a log line or
an event. The request event is never logged (`log_event=False` here overrides
POWERTOOLS_LOGGER_LOG_EVENT: the event holds the key in its body). Errors map by type to a
status through coderev.http.errors; every error answers `{"error", "message"}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import error_handlers, providers_routes
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


TITLE = "coderev providers"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


# before the router's /providers/<name>, which the name "openapi.json" would match
@app.get("/providers/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


app.include_router(providers_routes.router)
error_handlers.install(app, logger, metrics)


@traced
@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False
)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
