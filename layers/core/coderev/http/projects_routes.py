"""The projects API's routes (Powertools `Router`, included by functions/projects): projects
(create, list, get, update, soft delete), their settings, members and baseline, and the
audit trail for admins (GET /audits).

Every route reads the caller from the authorizer's context (coderev.http.principal) and calls
one use case of coderev.projects.service (bootstrap.projects()), which works in the caller's
tenant only and audits what it changes. A project is named by its id or its name.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from coderev import bootstrap
from coderev.http import project_models as models
from coderev.http.principal import current_actor

if TYPE_CHECKING:
    from coderev.projects.events import Actor

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

PROJECT = Path(description="the project's id or name")
SUBJECT = Path(description="the member's user id")
LIMIT = Query(ge=1, le=200, description="page size")
CURSOR = Query(max_length=512, description="next_cursor of the previous page")


def _actor() -> Actor:
    return current_actor(router.current_event.raw_event)


@router.post("/projects", status_code=201, summary="Create a project (maintainer or admin)",
             responses=models.responses(201, models.ProjectView, "the project",
                                        _409="a live project of that name exists"))  # fmt: skip
def create_project(body: Annotated[models.ProjectCreate, Body()]) -> Response[models.ProjectView]:
    settings = body.settings.settings() if body.settings is not None else None
    record = bootstrap.projects().create(_actor(), body.name, body.description, settings)
    view = models.ProjectView.of(record)
    return Response(201, "application/json", view, headers={"Location": f"/projects/{view.id}"})


@router.get("/projects", summary="The tenant's projects, by name, a page at a time",
            responses=models.responses(200, models.ProjectList, "a page of projects"))  # fmt: skip
def list_projects(
    name: Annotated[str | None, Query(max_length=100, description="a name prefix")] = None,
    cursor: Annotated[str | None, CURSOR] = None,
    limit: Annotated[int, LIMIT] = 50,
) -> models.ProjectList:
    found, following = bootstrap.projects().page(_actor(), after=cursor, limit=limit, name=name)
    return models.ProjectList(projects=[models.ProjectView.of(p) for p in found],
                              next_cursor=following)  # fmt: skip


@router.get("/projects/<project>", summary="One project, with the caller's role on it",
            responses=models.responses(200, models.ProjectView, "the project"))  # fmt: skip
def get_project(project: Annotated[str, PROJECT]) -> models.ProjectView:
    view = bootstrap.projects().get(_actor(), project)
    return models.ProjectView.of(view.project, view.role)


@router.patch("/projects/<project>", summary="Rename a project or change its description",
              responses=models.responses(200, models.ProjectView, "the project",
                                         _409="a live project of that name exists"))  # fmt: skip
def update_project(
    project: Annotated[str, PROJECT], body: Annotated[models.ProjectUpdate, Body()]
) -> models.ProjectView:
    from coderev.projects.repository import UNCHANGED

    record = bootstrap.projects().update(
        _actor(), project, name=body.name if body.name is not None else UNCHANGED,
        description=body.description if body.description is not None else UNCHANGED,
    )  # fmt: skip
    return models.ProjectView.of(record)


@router.delete("/projects/<project>", summary="Delete a project (admin): soft, its analyses "
               "and audit trail stay, its name is free again",
               responses=models.responses(200, models.ProjectView, "deleted"))  # fmt: skip
def delete_project(project: Annotated[str, PROJECT]) -> models.ProjectView:
    return models.ProjectView.of(bootstrap.projects().delete(_actor(), project))


@router.put("/projects/<project>/settings", summary="Replace a project's settings: gate "
            "rule, ignore paths, architecture contracts override",
            responses=models.responses(200, models.ProjectView, "the project"))  # fmt: skip
def put_settings(
    project: Annotated[str, PROJECT], body: Annotated[models.SettingsIn, Body()]
) -> models.ProjectView:
    record = bootstrap.projects().update(_actor(), project, settings=body.settings())
    return models.ProjectView.of(record)


@router.put("/projects/<project>/baseline", summary="Mark a SUCCEEDED analysis of the project "
            "as its baseline (null clears it): every new analysis is compared with it",
            responses=models.responses(200, models.ProjectView, "the project",
                                       _422="not a SUCCEEDED analysis of it"))  # fmt: skip
def put_baseline(
    project: Annotated[str, PROJECT], body: Annotated[models.BaselineIn, Body()]
) -> models.ProjectView:
    record = bootstrap.projects().set_baseline(_actor(), project, body.analysis_id)
    return models.ProjectView.of(record)


@router.get("/projects/<project>/members", summary="A project's members and their roles",
            responses=models.responses(200, models.MemberList, "the members"))  # fmt: skip
def list_members(project: Annotated[str, PROJECT]) -> models.MemberList:
    found = bootstrap.projects().members(_actor(), project)
    return models.MemberList(members=[models.MemberView.of(m) for m in found])


@router.put("/projects/<project>/members/<subject>", summary="Add a member or change its role "
            "(never above the caller's own)",
            responses=models.responses(200, models.MemberView, "the member"))  # fmt: skip
def put_member(
    project: Annotated[str, PROJECT], subject: Annotated[str, SUBJECT],
    body: Annotated[models.MemberIn, Body()],
) -> models.MemberView:  # fmt: skip
    member = bootstrap.projects().put_member(_actor(), project, subject, body.role)
    return models.MemberView.of(member)


@router.delete("/projects/<project>/members/<subject>", status_code=204,
               summary="Remove a member",
               responses=models.responses(204, None, "removed"))  # fmt: skip
def remove_member(
    project: Annotated[str, PROJECT], subject: Annotated[str, SUBJECT]
) -> Response[None]:
    if not bootstrap.projects().remove_member(_actor(), project, subject):
        from coderev.domain.errors import NotFoundError

        raise NotFoundError(f"{subject!r} is not a member of {project!r}")
    return Response(204, "application/json", None)


@router.get("/audits", summary="The tenant's audit trail, newest first (admins)",
            responses=models.responses(200, models.AuditList, "a page of entries"))  # fmt: skip
def list_audits(
    type: Annotated[str | None, Query(max_length=255, description="an event type, e.g. "
                                      "coderev.project.created")] = None,
    subject: Annotated[str | None, Query(max_length=1024, description="the target, e.g. "
                                         "project:<id>")] = None,
    actor: Annotated[str | None, Query(max_length=128, description="who acted")] = None,
    since: Annotated[datetime | None, Query(description="recorded at or after")] = None,
    until: Annotated[datetime | None, Query(description="recorded before")] = None,
    cursor: Annotated[str | None, CURSOR] = None,
    limit: Annotated[int, LIMIT] = 50,
) -> models.AuditList:  # fmt: skip
    from coderev.projects.audits import read_audits

    entries, following = read_audits(
        bootstrap.audit_repository(), _actor(), type=type, subject=subject, who=actor,
        since=since, until=until, cursor=cursor, limit=limit, events=bootstrap.event_bus(),
    )  # fmt: skip
    return models.AuditList(entries=[models.AuditView.of(e) for e in entries],
                            next_cursor=following)  # fmt: skip
