"""The analyses HTTP API: POST /analyses (the archive as body) → 202; GET /analyses/{id};
GET /analyses/{id}/report/{json|sarif|md|html}; GET /openapi.json (and /swagger).

Errors map by type to a status through one table, coderev.http.errors.STATUS_BY_ERROR.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from coderev import bootstrap
from coderev.domain.errors import CoderevError
from coderev.http import models
from coderev.http.errors import error_body, status_for
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
app.enable_swagger(path="/swagger", title="coderev analyses")


@app.post("/analyses", status_code=202, responses=models.UPLOAD_RESPONSES)
def upload(project_id: str | None = None) -> Response[models.AnalysisAccepted]:
    from coderev.service.uploads import accept_upload

    body, event = app.current_event.body or "", app.current_event
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    bucket = os.environ.get("S3_BUCKET") or "coderev"
    record = accept_upload(bootstrap.object_store(), bootstrap.analysis_repository(), bucket,
                           data, project_id)  # fmt: skip
    return Response(202, "application/json", models.AnalysisAccepted.of(record))


@app.get("/analyses/<analysis_id>", responses=models.ERROR_RESPONSES)
def status(analysis_id: str) -> models.AnalysisView:
    from coderev.service.uploads import get_analysis

    return models.AnalysisView.of(get_analysis(bootstrap.analysis_repository(), analysis_id))


@app.get("/analyses/<analysis_id>/report/<fmt>", responses=models.ERROR_RESPONSES)
def report(analysis_id: str, fmt: models.ReportFormat) -> Response[str]:
    from coderev.service.uploads import read_report

    found = read_report(bootstrap.object_store(), bootstrap.analysis_repository(), analysis_id, fmt)
    return Response(200, found.content_type, found.body.decode("utf-8"))


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(200, "application/json", app.get_openapi_json_schema(title="coderev analyses"))


@app.exception_handler(CoderevError)  # type: ignore[untyped-decorator]
def coderev_error(error: CoderevError) -> Response[dict[str, str]]:
    count_outcome(metrics, type(error).__name__)
    return Response(status_for(error), "application/json", error_body(error))


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
