"""A project's analyses (Powertools `Router`, included by functions/analyses): upload (the
body, or a presigned URL), list with filters a page at a time, one analysis, its reports, its
drift against the baseline, and the rerun of a failed one.

An upload is held to the project's settings and compared with its baseline
(coderev.projects.analyses); it records the version it holds (`ref`, `commit`, `label`) and
who uploaded it. The caller comes from the authorizer's context (coderev.http.principal);
every query is bounded to its tenant, and an analysis of another project is not found here.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from coderev import bootstrap
from coderev.http import models, params
from coderev.http import project_models as pmodels
from coderev.http.principal import current_actor

if TYPE_CHECKING:
    from coderev.projects.analyses import Asked
    from coderev.projects.events import Actor
    from coderev.projects.model import Version

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

PROJECT = Path(description="the project's id or name")
ANALYSIS = Path(description="the analysis id")
REF = Query(max_length=255, description="the version's ref, e.g. refs/heads/main")
COMMIT = Query(max_length=255, description="the version's commit")
LABEL = Query(max_length=255, description="the version's label, e.g. v1.4.0")
Status = Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]


def _actor() -> Actor:
    return current_actor(router.current_event.raw_event)


def _version(ref: str | None, commit: str | None, label: str | None, actor: Actor) -> Version:
    from coderev.projects.model import Version

    return Version(ref, commit, label, actor.subject)


def _asked(
    baseline: str | None, fail_on: str | None, exclude: list[str] | None, allow: bool,
    lint_config: str | None, filename: str | None, reviewer: str | None,
) -> Asked:  # fmt: skip
    from coderev.projects.analyses import Asked

    name = params.upload_filename(filename, router.current_event.headers)
    return Asked(baseline, fail_on, tuple(exclude or ()), allow, lint_config, name, reviewer)


def _prefix(project_id: str | None, analysis_id: str) -> str:
    return f"/projects/{project_id}/analyses/{analysis_id}"


@router.post(
    "/projects/<project>/analyses", status_code=202, responses=models.UPLOAD_RESPONSES,
    summary="Upload an archive to a project (at most ~4.5 MB; larger: .../analyses/uploads): "
    "held to the project's settings, compared with its baseline",
)  # fmt: skip
def upload(
    project: Annotated[str, PROJECT],
    ref: Annotated[str | None, REF] = None,
    commit: Annotated[str | None, COMMIT] = None,
    label: Annotated[str | None, LABEL] = None,
    filename: Annotated[str | None, params.FILENAME] = None,
    baseline: Annotated[str | None, params.BASELINE] = None,
    fail_on: Annotated[str | None, params.FAIL_ON] = None,
    exclude: Annotated[list[str] | None, params.EXCLUDE] = None,
    allow_unsupported_contracts: Annotated[bool, params.ALLOW_UNSUPPORTED_CONTRACTS] = False,
    lint_config: Annotated[str | None, params.LINT_CONFIG] = None,
    reviewer: Annotated[str | None, params.REVIEWER] = None,
) -> Response[models.AnalysisAccepted]:
    event, actor = router.current_event, _actor()
    body = event.body or ""
    data = base64.b64decode(body) if event.is_base64_encoded else body.encode("utf-8")
    record = bootstrap.project_analyses().upload(
        actor, project, data,
        _asked(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config, filename,
               reviewer),
        _version(ref, commit, label, actor),
    )  # fmt: skip
    accepted = models.AnalysisAccepted.of(record).model_copy(
        update={"status_url": _prefix(record.project_id, record.id)}
    )
    return Response(202, "application/json", accepted, headers={"Location": accepted.status_url})


@router.post(
    "/projects/<project>/analyses/uploads", status_code=201, responses=models.PRESIGN_RESPONSES,
    summary="Reserve an analysis of a project and get a presigned URL to PUT its archive to",
)  # fmt: skip
def presign(
    project: Annotated[str, PROJECT],
    ref: Annotated[str | None, REF] = None,
    commit: Annotated[str | None, COMMIT] = None,
    label: Annotated[str | None, LABEL] = None,
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
        actor, project,
        _asked(baseline, fail_on, exclude, allow_unsupported_contracts, lint_config, filename,
               reviewer),
        _version(ref, commit, label, actor),
    )  # fmt: skip
    url = params.absolute_url(reserved.upload.url, router.current_event.headers)
    ticket = models.UploadTicket.of(reserved.record, reserved.upload, url).model_copy(
        update={"status_url": _prefix(reserved.record.project_id, reserved.record.id)}
    )
    return Response(201, "application/json", ticket, headers={"Location": ticket.status_url})


@router.get(
    "/projects/<project>/analyses", summary="A project's analyses, newest first, a page at a "
    "time, filtered by status, version and uploader",
    responses=pmodels.responses(200, pmodels.AnalysisList, "a page of analyses"),
)  # fmt: skip
def list_analyses(
    project: Annotated[str, PROJECT],
    status: Annotated[Status | None, Query()] = None,
    ref: Annotated[str | None, REF] = None,
    commit: Annotated[str | None, COMMIT] = None,
    label: Annotated[str | None, LABEL] = None,
    uploaded_by: Annotated[str | None, Query(max_length=255)] = None,
    created_after: Annotated[datetime | None, Query(description="inclusive")] = None,
    created_before: Annotated[datetime | None, Query(description="exclusive")] = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> pmodels.AnalysisList:
    from coderev.projects.analyses import query_for

    actor = _actor()
    for moment in (created_after, created_before):
        if moment is not None and moment.tzinfo is None:
            from coderev.projects.errors import InvalidProjectError

            raise InvalidProjectError("created_after and created_before need a time zone")
    query = query_for(actor.tenant, status=status, ref=ref, commit=commit, label=label,
                      uploaded_by=uploaded_by, created_after=created_after,
                      created_before=created_before, after=cursor, limit=limit)  # fmt: skip
    return pmodels.AnalysisList.of(bootstrap.project_analyses().list(actor, project, query))


@router.get(
    "/projects/<project>/analyses/<analysis_id>", summary="An analysis of the project",
    responses=pmodels.responses(200, pmodels.ProjectAnalysisView, "the analysis"),
)  # fmt: skip
def status(
    project: Annotated[str, PROJECT], analysis_id: Annotated[str, ANALYSIS]
) -> pmodels.ProjectAnalysisView:
    record = bootstrap.project_analyses().get(_actor(), project, analysis_id)
    return pmodels.ProjectAnalysisView.of_project(record)


@router.get(
    "/projects/<project>/analyses/<analysis_id>/drift", summary="The analysis against its "
    "baseline: the gate's verdict, findings new/existing/fixed, architecture drift",
    responses=pmodels.responses(200, pmodels.DriftView, "the drift",
                                _409="the analysis has not SUCCEEDED"),
)  # fmt: skip
def drift(
    project: Annotated[str, PROJECT], analysis_id: Annotated[str, ANALYSIS]
) -> pmodels.DriftView:
    return pmodels.DriftView.of(bootstrap.project_analyses().drift(_actor(), project, analysis_id))


@router.get(
    "/projects/<project>/analyses/<analysis_id>/report/<fmt>", responses=models.REPORT_RESPONSES,
    summary="Download a report of the project's analysis (a 303 to a presigned URL, or the "
    "URL as JSON with Accept: application/json)",
)  # fmt: skip
def report(
    project: Annotated[str, PROJECT], analysis_id: Annotated[str, ANALYSIS],
    fmt: models.ReportFormat,
) -> Response[models.ReportLink]:  # fmt: skip
    from coderev.config import get_settings
    from coderev.service.uploads import report_download

    actor = _actor()
    record = bootstrap.project_analyses().get(actor, project, analysis_id)
    found = report_download(bootstrap.object_store(), bootstrap.analysis_repository(), record.id,
                            fmt, expires_in=get_settings().report_url_seconds,
                            tenant_id=actor.tenant)  # fmt: skip
    headers = router.current_event.headers
    link = models.ReportLink.of(found, params.absolute_url(found.url, headers))
    if params.wants_json(headers):
        return Response(200, "application/json", link)
    return Response(303, "application/json", link, headers={"Location": link.url})


@router.post(
    "/projects/<project>/analyses/<analysis_id>/rerun", status_code=202,
    responses=models.RERUN_RESPONSES, summary="Run a FAILED analysis of the project again",
)  # fmt: skip
def rerun(
    project: Annotated[str, PROJECT], analysis_id: Annotated[str, ANALYSIS]
) -> Response[models.AnalysisAccepted]:
    record = bootstrap.project_analyses().rerun(_actor(), project, analysis_id)
    accepted = models.AnalysisAccepted.of(record, rerun_of=analysis_id).model_copy(
        update={"status_url": _prefix(record.project_id, record.id)}
    )
    return Response(202, "application/json", accepted, headers={"Location": accepted.status_url})
