"""The analyses API's routes (Powertools `Router`, included by functions/analyses): upload,
presigned upload, status, reports and the rerun of a failed analysis — the routes from before
projects, kept: an upload goes to the project named (`project_id`, an id or a name) or to the
caller's tenant's default project, and every read is bounded to the caller's tenant (another
tenant's analysis is not found). A project's own routes are
coderev.http.project_analyses_routes. Use cases live in coderev.projects.analyses and
coderev.service.uploads and are imported by the route that needs them (cold start); the query
parameters and header reading in coderev.http.params.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from coderev import bootstrap
from coderev.http import models, params
from coderev.http.principal import current_actor

if TYPE_CHECKING:
    from coderev.projects.analyses import Asked
    from coderev.projects.events import Actor
    from coderev.projects.model import Version

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

PROJECT_ID = Query(max_length=100, description="the project (id or name) of the caller's "
                   "tenant; absent: the tenant's default project")  # fmt: skip


def _actor() -> Actor:
    return current_actor(router.current_event.raw_event)


def _project(actor: Actor, project_id: str | None) -> str:
    """The project named (of the caller's tenant), else the tenant's default project."""
    if project_id is not None:
        return project_id
    return bootstrap.projects().ensure_default(actor.tenant, actor.subject).id


def _asked(
    baseline: str | None, fail_on: str | None, exclude: list[str] | None, allow: bool,
    lint_config: str | None, filename: str | None, reviewer: str | None,
) -> Asked:  # fmt: skip
    from coderev.projects.analyses import Asked

    name = params.upload_filename(filename, router.current_event.headers)
    return Asked(baseline, fail_on, tuple(exclude or ()), allow, lint_config, name, reviewer)


def _version(actor: Actor) -> Version:
    from coderev.projects.model import Version

    return Version(uploaded_by=actor.subject)


@router.post(
    "/analyses", status_code=202, responses=models.UPLOAD_RESPONSES,
    summary="Upload an archive (at most ~4.5 MB; larger: POST /analyses/uploads) and queue "
    "its analysis (in the project named, else the tenant's default project)",
)  # fmt: skip
def upload(
    project_id: Annotated[str | None, PROJECT_ID] = None,
    filename: Annotated[str | None, params.FILENAME] = None,
    baseline: Annotated[str | None, params.BASELINE] = None,
    fail_on: Annotated[str | None, params.FAIL_ON] = None,
    exclude: Annotated[list[str] | None, params.EXCLUDE] = None,
    allow_unsupported_contracts: Annotated[bool, params.ALLOW_UNSUPPORTED_CONTRACTS] = False,
    lint_config: Annotated[str | None, params.LINT_CONFIG] = None,
    reviewer: Annotated[str | None, params.REVIEWER] = None,
) -> Response[models.AnalysisAccepted]:
    body, event, actor = router.current_event.body or "", router.current_event, _actor()
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    record = bootstrap.project_analyses().upload(
        actor, _project(actor, project_id), data,
        _asked(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config, filename,
               reviewer),
        _version(actor),
    )  # fmt: skip
    return Response(202, "application/json", models.AnalysisAccepted.of(record))


@router.post(
    "/analyses/uploads", status_code=201, responses=models.PRESIGN_RESPONSES,
    summary="Reserve an analysis and get a presigned URL to PUT its archive to (any size)",
    description="No body. The answer's `upload` says how to upload: `PUT upload.url` with "
    "the archive as body and every header of `upload.headers` unchanged (they are signed), "
    "before `upload.expires_at`. Follow `status_url`: `awaiting_upload` is true until the "
    "archive arrives, then the analysis runs as one uploaded to POST /analyses. A tenant "
    "holds at most CODEREV_MAX_PENDING_UPLOADS reservations not yet used (more: 429).",
)  # fmt: skip
def presign(
    project_id: Annotated[str | None, PROJECT_ID] = None,
    filename: Annotated[str | None, params.FILENAME] = None,
    baseline: Annotated[str | None, params.BASELINE] = None,
    fail_on: Annotated[str | None, params.FAIL_ON] = None,
    exclude: Annotated[list[str] | None, params.EXCLUDE] = None,
    allow_unsupported_contracts: Annotated[bool, params.ALLOW_UNSUPPORTED_CONTRACTS] = False,
    lint_config: Annotated[str | None, params.LINT_CONFIG] = None,
    reviewer: Annotated[str | None, params.REVIEWER] = None,
) -> Response[models.UploadTicket]:
    actor = _actor()
    reserved = bootstrap.project_analyses().presign(
        actor, _project(actor, project_id),
        _asked(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config, filename,
               reviewer),
        _version(actor),
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
    from coderev.service.uploads import get_analysis, rerun_analysis

    actor = _actor()
    old = get_analysis(bootstrap.analysis_repository(), analysis_id, actor.tenant)
    if old.project_id is not None:  # through its project: the role on it, the audit trail
        record = bootstrap.project_analyses().rerun(actor, old.project_id, analysis_id)
    else:
        record = rerun_analysis(bootstrap.object_store(), bootstrap.analysis_repository(),
                                get_settings().s3_bucket, analysis_id, actor.tenant,
                                uploaded_by=actor.subject)  # fmt: skip
    accepted = models.AnalysisAccepted.of(record, rerun_of=analysis_id)
    return Response(202, "application/json", accepted, headers={"Location": accepted.status_url})


@router.get(
    "/analyses/<analysis_id>", responses=models.STATUS_RESPONSES,
    summary="The analysis: status, reports once SUCCEEDED, error and cause once FAILED",
)  # fmt: skip
def status(analysis_id: str) -> models.AnalysisView:
    from coderev.service.uploads import get_analysis

    record = get_analysis(bootstrap.analysis_repository(), analysis_id, _actor().tenant)
    return models.AnalysisView.of(record)


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
                            analysis_id, fmt, expires_in=seconds,
                            tenant_id=_actor().tenant)  # fmt: skip
    headers = router.current_event.headers
    link = models.ReportLink.of(found, params.absolute_url(found.url, headers))
    if params.wants_json(headers):
        return Response(200, "application/json", link)
    return Response(303, "application/json", link, headers={"Location": link.url})
