"""The analyses HTTP API.

- POST /analyses (the archive as body) → 202: stored under uploads/, analysis queued.
- POST /analyses/uploads (no body) → 201: the analysis reserved and a presigned URL to PUT
  the archive to (any size; the body of POST /analyses is capped at API Gateway's 10 MB).
- GET /analyses/{id}; GET /analyses/{id}/report/{json|sarif|md|html}.
- GET /openapi.json and /swagger: the OpenAPI document, generated on first request.

Both POSTs take `filename` (or a Content-Disposition header) to name the upload, and the
analysis request: `baseline` (an analysis id), `fail_on`, `exclude` (repeatable).
Errors map by type to a status through one table, coderev.http.errors.STATUS_BY_ERROR.

Cold start: only what every request needs is imported here (Powertools' resolver with
validation, the response models, deferred by pydantic until used); use cases, the error
table and the OpenAPI machinery are imported by the route or error that needs them.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths

from coderev import bootstrap
from coderev.domain.errors import CoderevError
from coderev.http import models
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from coderev.pipeline.request import ReviewRequest

TITLE = "coderev analyses"
FILENAME = Query(
    description="the archive's file name (the report's source); the upload key becomes "
    "uploads/<uuid>/<filename>. Also read from a Content-Disposition header.",
    max_length=1024,
)
BASELINE = Query(description="the id of an earlier analysis whose report.json is the baseline")
FAIL_ON = Query(description="quality gate, as coderev review --fail-on (e.g. high, new-high)")
EXCLUDE = Query(description="a glob of paths to skip (repeatable)")

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)


def _request(baseline: str | None, fail_on: str | None, exclude: list[str] | None) -> ReviewRequest:
    from coderev.service.uploads import review_request

    return review_request(bootstrap.analysis_repository(), baseline=baseline, fail_on=fail_on,
                          exclude=exclude or ())  # fmt: skip


def _filename(given: str | None) -> str | None:
    """The `filename` parameter, else the Content-Disposition header's file name."""
    if given:
        return given
    disposition = app.current_event.headers.get("content-disposition")
    if not disposition:
        return None
    from email.message import Message

    header = Message()
    header["content-disposition"] = disposition
    return header.get_filename()


def _bucket() -> str:
    from coderev.config import get_settings

    return get_settings().s3_bucket


@app.post(
    "/analyses", status_code=202, responses=models.UPLOAD_RESPONSES,
    summary="Upload an archive (at most 10 MB) and queue its analysis",
)  # fmt: skip
def upload(
    project_id: str | None = None,
    filename: Annotated[str | None, FILENAME] = None,
    baseline: Annotated[str | None, BASELINE] = None,
    fail_on: Annotated[str | None, FAIL_ON] = None,
    exclude: Annotated[list[str] | None, EXCLUDE] = None,
) -> Response[models.AnalysisAccepted]:
    from coderev.service.uploads import accept_upload

    body, event = app.current_event.body or "", app.current_event
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    request = _request(baseline, fail_on, exclude)
    record = accept_upload(
        bootstrap.object_store(), bootstrap.analysis_repository(), _bucket(), data, project_id,
        filename=_filename(filename), request=request,
    )  # fmt: skip
    return Response(202, "application/json", models.AnalysisAccepted.of(record))


@app.post(
    "/analyses/uploads", status_code=201, responses=models.PRESIGN_RESPONSES,
    summary="Reserve an analysis and get a presigned URL to PUT its archive to (any size)",
    description="No body. The answer's `upload` says how to upload: `PUT upload.url` with "
    "the archive as body and every header of `upload.headers` unchanged (they are signed), "
    "before `upload.expires_at`. Follow `status_url`: `awaiting_upload` is true until the "
    "archive arrives, then the analysis runs as one uploaded to POST /analyses.",
)  # fmt: skip
def presign(
    project_id: str | None = None,
    filename: Annotated[str | None, FILENAME] = None,
    baseline: Annotated[str | None, BASELINE] = None,
    fail_on: Annotated[str | None, FAIL_ON] = None,
    exclude: Annotated[list[str] | None, EXCLUDE] = None,
) -> Response[models.UploadTicket]:
    from coderev.config import get_settings
    from coderev.service.uploads import presign_upload

    request = _request(baseline, fail_on, exclude)
    reserved = presign_upload(
        bootstrap.object_store(), bootstrap.analysis_repository(), _bucket(),
        expires_in=get_settings().upload_url_seconds, project_id=project_id,
        filename=_filename(filename), request=request,
    )  # fmt: skip
    ticket = models.UploadTicket.of(
        reserved.record, reserved.upload, _absolute(reserved.upload.url)
    )
    return Response(201, "application/json", ticket, headers={"Location": ticket.status_url})


def _absolute(url: str) -> str:
    """S3's URLs are absolute; the embedded store's are relative to the gateway serving this
    API (`coderev serve`): resolved against the host the client called."""
    if "://" in url:
        return url
    headers = app.current_event.headers
    host = headers.get("host")
    if not host:
        return url
    return f"{headers.get('x-forwarded-proto') or 'http'}://{host}{url}"


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
    from coderev.http.openapi import openapi_json

    return Response(200, "application/json", openapi_json(app, TITLE))


@app.get("/swagger", include_in_schema=False)
def swagger() -> Response[str]:
    from coderev.http.openapi import openapi_json, swagger_html

    if (app.current_event.query_string_parameters or {}).get("format") == "json":
        return Response(200, "application/json", openapi_json(app, TITLE))
    return Response(200, "text/html", swagger_html(app, TITLE))


@app.exception_handler(CoderevError)  # type: ignore[untyped-decorator]
def coderev_error(error: CoderevError) -> Response[dict[str, str]]:
    from coderev.http.errors import error_body, status_for

    count_outcome(metrics, type(error).__name__)
    return Response(status_for(error), "application/json", error_body(error))


@traced
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = app.resolve(event, context)
    count_outcome(metrics, f"Status{response['statusCode']}")  # one metric per outcome
    return response
