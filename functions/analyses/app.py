"""The analyses HTTP API.

- POST /analyses (the archive as body, at most ~4.5 MB: base64 in Lambda's 6 MB) → 202;
- POST /analyses/uploads (no body) → 201: the analysis reserved, a presigned URL to PUT to;
- GET /analyses/{id}; GET /analyses/{id}/report/{json|sarif|md|html};
- under /projects/{project}/analyses: the same uploads held to the project's settings and
  baseline, the list (filters, cursor pages), one analysis, its reports, drift and rerun;
- GET /openapi.json and /swagger, generated on first request.

Both POSTs take `filename` (or Content-Disposition) and the analysis request (`baseline`,
`fail_on`, `exclude`): coderev.http.params. Errors map by type to a status through one table,
coderev.http.errors; every error answers `{"error", "message"}` (coderev.http.error_handlers).
Cold start: use cases, the error table and the OpenAPI machinery are
imported by the route or error that needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import analyses_routes, error_handlers, project_analyses_routes
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


TITLE = "coderev analyses"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
app.include_router(analyses_routes.router)
app.include_router(project_analyses_routes.router)
error_handlers.install(app, logger, metrics)


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


@app.get("/swagger", include_in_schema=False)
def swagger() -> Response[str]:
    from coderev.http.openapi import openapi_json, swagger_html

    if (app.current_event.query_string_parameters or {}).get("format") == "json":
        return Response(200, "application/json", openapi_json(app, TITLE))
    return Response(200, "text/html", swagger_html(app, TITLE))


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
