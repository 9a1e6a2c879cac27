"""The analyses API's routes (Powertools `Router`, included by functions/analyses): upload,
presigned upload, status, reports and the rerun of a failed analysis. Use cases live in
coderev.service.uploads and are imported by the route that needs them (cold start); the
query parameters and header reading in coderev.http.params.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from coderev import bootstrap
from coderev.http import models, params

if TYPE_CHECKING:
    from coderev.pipeline.request import ReviewRequest

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]


def _request(
    baseline: str | None, fail_on: str | None, exclude: list[str] | None, allow: bool,
    lint_config: str | None, reviewer: str | None = None,
) -> ReviewRequest:  # fmt: skip
    from coderev.service.uploads import review_request

    return review_request(bootstrap.analysis_repository(), baseline=baseline, fail_on=fail_on,
                          exclude=exclude or (), allow_unsupported_contracts=allow,
                          lint_config=lint_config, reviewer=reviewer)  # fmt: skip


def _filename(given: str | None) -> str | None:
    return params.upload_filename(given, router.current_event.headers)


@router.post(
    "/analyses", status_code=202, responses=models.UPLOAD_RESPONSES,
    summary="Upload an archive (at most ~4.5 MB; larger: POST /analyses/uploads) and queue "
    "its analysis",
)  # fmt: skip
def upload(
    project_id: str | None = None,
    filename: Annotated[str | None, params.FILENAME] = None,
    baseline: Annotated[str | None, params.BASELINE] = None,
    fail_on: Annotated[str | None, params.FAIL_ON] = None,
    exclude: Annotated[list[str] | None, params.EXCLUDE] = None,
    allow_unsupported_contracts: Annotated[bool, params.ALLOW_UNSUPPORTED_CONTRACTS] = False,
    lint_config: Annotated[str | None, params.LINT_CONFIG] = None,
    reviewer: Annotated[str | None, params.REVIEWER] = None,
) -> Response[models.AnalysisAccepted]:
    from coderev.config import get_settings
    from coderev.service.uploads import accept_upload

    body, event = router.current_event.body or "", router.current_event
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    request = _request(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config,
                       reviewer)  # fmt: skip
    record = accept_upload(
        bootstrap.object_store(), bootstrap.analysis_repository(), get_settings().s3_bucket,
        data, project_id,
        filename=_filename(filename), request=request,
    )  # fmt: skip
    return Response(202, "application/json", models.AnalysisAccepted.of(record))


@router.post(
    "/analyses/uploads", status_code=201, responses=models.PRESIGN_RESPONSES,
    summary="Reserve an analysis and get a presigned URL to PUT its archive to (any size)",
    description="No body. The answer's `upload` says how to upload: `PUT upload.url` with "
    "the archive as body and every header of `upload.headers` unchanged (they are signed), "
    "before `upload.expires_at`. Follow `status_url`: `awaiting_upload` is true until the "
    "archive arrives, then the analysis runs as one uploaded to POST /analyses.",
)  # fmt: skip
def presign(
    project_id: str | None = None,
    filename: Annotated[str | None, params.FILENAME] = None,
    baseline: Annotated[str | None, params.BASELINE] = None,
    fail_on: Annotated[str | None, params.FAIL_ON] = None,
    exclude: Annotated[list[str] | None, params.EXCLUDE] = None,
    allow_unsupported_contracts: Annotated[bool, params.ALLOW_UNSUPPORTED_CONTRACTS] = False,
    lint_config: Annotated[str | None, params.LINT_CONFIG] = None,
    reviewer: Annotated[str | None, params.REVIEWER] = None,
) -> Response[models.UploadTicket]:
    from coderev.config import get_settings
    from coderev.service.uploads import presign_upload

    request = _request(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config,
                       reviewer)  # fmt: skip
    reserved = presign_upload(
        bootstrap.object_store(), bootstrap.analysis_repository(), get_settings().s3_bucket,
        expires_in=get_settings().upload_url_seconds, project_id=project_id,
        filename=_filename(filename), request=request,
    )  # fmt: skip
    ticket = models.UploadTicket.of(
        reserved.record,
        reserved.upload,
        params.absolute_url(reserved.upload.url, router.current_event.headers),
    )
    return Response(201, "application/json", ticket, headers={"Location": ticket.status_url})


@router.post(
    "/analyses/<analysis_id>/rerun", status_code=202, responses=models.RERUN_RESPONSES,
    summary="Run a FAILED analysis again on the same archive, as a new analysis",
    description="The archive is copied to a new upload key with the same request (baseline, "
    "gate, exclusions); the new analysis has its own id and names the old one in `rerun_of`. "
    "409 unless the analysis FAILED, or when its archive was swept or replaced since.",
)  # fmt: skip
def rerun(analysis_id: str) -> Response[models.AnalysisAccepted]:
    from coderev.config import get_settings
    from coderev.service.uploads import rerun_analysis

    record = rerun_analysis(bootstrap.object_store(), bootstrap.analysis_repository(),
                            get_settings().s3_bucket, analysis_id)  # fmt: skip
    accepted = models.AnalysisAccepted.of(record, rerun_of=analysis_id)
    return Response(202, "application/json", accepted, headers={"Location": accepted.status_url})


@router.get(
    "/analyses/<analysis_id>", responses=models.STATUS_RESPONSES,
    summary="The analysis: status, reports once SUCCEEDED, error and cause once FAILED",
)  # fmt: skip
def status(analysis_id: str) -> models.AnalysisView:
    from coderev.service.uploads import get_analysis

    return models.AnalysisView.of(get_analysis(bootstrap.analysis_repository(), analysis_id))


@router.get(
    "/analyses/<analysis_id>/report/<fmt>", responses=models.REPORT_RESPONSES,
    summary="Download a report: a 303 redirect to a short-lived presigned URL, or the URL as "
    "JSON when the client sends Accept: application/json",
    description="Reports are never in the response itself: a Lambda response holds at most "
    "6 MB and a Django-size report.json is 15 MB. `GET` follows the 303 to the object store "
    "(S3, or the local gateway's `/_objects/`), which serves the report with its content type "
    "(gzip-encoded when the client accepts it, on the local gateway). With "
    "`Accept: application/json` the answer is 200 `{url, expires_at, content_type, size}`.",
)  # fmt: skip
def report(analysis_id: str, fmt: models.ReportFormat) -> Response[models.ReportLink]:
    from coderev.config import get_settings
    from coderev.service.uploads import report_download

    seconds = get_settings().report_url_seconds
    found = report_download(bootstrap.object_store(), bootstrap.analysis_repository(),
                            analysis_id, fmt, expires_in=seconds)  # fmt: skip
    headers = router.current_event.headers
    link = models.ReportLink.of(found, params.absolute_url(found.url, headers))
    if params.wants_json(headers):
        return Response(200, "application/json", link)
    return Response(303, "application/json", link, headers={"Location": link.url})
