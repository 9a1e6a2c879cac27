"""The projects HTTP API: projects, their settings, members and baseline, and the audit trail.

- POST /projects (201); GET /projects; GET, PATCH, DELETE (soft) /projects/{project};
- PUT /projects/{project}/settings; PUT /projects/{project}/baseline;
- GET /projects/{project}/members; PUT, DELETE /projects/{project}/members/{subject};
- GET /audits (admins: the tenant's audit trail);
- GET /projects/openapi.json, generated on first request.

The caller is the principal in `requestContext.authorizer` (coderev.http.principal); a project
is named by its id or its name. Errors map by type to a status through coderev.http.errors;
every error answers `{"error", "message"}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev.http import error_handlers, projects_routes
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


TITLE = "coderev projects"

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


# before the router's /projects/<project>, which the name "openapi.json" would match
@app.get("/projects/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


app.include_router(projects_routes.router)
error_handlers.install(app, logger, metrics)


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
