"""Request and response models of the projects API and of a project's analyses (the OpenAPI
document comes from them). Every model is `defer_build=True` (see coderev.http.models).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coderev.http.models import ERROR_RESPONSES, AnalysisView, ErrorView

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.analyses.model import AnalysisPage, AnalysisRecord
    from coderev.audit.model import AuditEntry
    from coderev.projects.analyses import Drift
    from coderev.projects.model import Member, ProjectRecord, Role

__all__ = [
    "AnalysisList",
    "AuditList",
    "AuditView",
    "BaselineIn",
    "DriftView",
    "MemberIn",
    "MemberList",
    "MemberView",
    "ProjectCreate",
    "ProjectList",
    "ProjectUpdate",
    "ProjectView",
    "SettingsIn",
    "responses",
]

_REQUEST = ConfigDict(extra="forbid", defer_build=True, hide_input_in_errors=True)
_VIEW = ConfigDict(frozen=True, defer_build=True)
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
RoleName = Literal["viewer", "reviewer", "maintainer", "admin"]


class SettingsIn(BaseModel):
    """A project's settings: what every analysis of it is held to."""

    model_config = _REQUEST

    fail_on: str = Field(
        default="none",
        max_length=200,
        description="the gate, as coderev review --fail-on (e.g. new-high)",
    )
    ignore_paths: list[str] = Field(
        default=[], max_length=100, description="globs of paths every analysis skips"
    )
    contracts: dict[str, Any] | None = Field(
        default=None,
        description="an architecture contracts override: a coderev configuration "
        "(contracts, root packages, thresholds) replacing what the archives' own files say",
    )

    def settings(self) -> Any:
        from coderev.projects.model import ProjectSettings

        return ProjectSettings.parse(self.model_dump())


class ProjectCreate(BaseModel):
    model_config = _REQUEST

    name: str = Field(min_length=1, max_length=100, pattern=NAME)
    description: str = Field(default="", max_length=2000)
    settings: SettingsIn | None = None


class ProjectUpdate(BaseModel):
    model_config = _REQUEST

    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=NAME)
    description: str | None = Field(default=None, max_length=2000)


class MemberIn(BaseModel):
    model_config = _REQUEST

    role: RoleName


class BaselineIn(BaseModel):
    model_config = _REQUEST

    analysis_id: str | None = Field(max_length=64, description="a SUCCEEDED analysis of the "
                                    "project; null: no baseline")  # fmt: skip


class SettingsView(BaseModel):
    model_config = _VIEW

    fail_on: str
    ignore_paths: list[str]
    contracts: dict[str, Any] | None = None


class ProjectView(BaseModel):
    model_config = _VIEW

    id: str
    name: str
    description: str
    settings: SettingsView
    baseline_id: str | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    role: RoleName | None = None  # the caller's role on the project
    analyses_url: str

    @classmethod
    def of(cls, record: ProjectRecord, role: Role | None = None) -> ProjectView:
        return cls(
            id=record.id, name=record.name, description=record.description,
            settings=SettingsView(**record.settings.to_json()), baseline_id=record.baseline_id,
            created_by=record.created_by, created_at=record.created_at,
            updated_at=record.updated_at, deleted_at=record.deleted_at,
            role=None if role is None else role.value,
            analyses_url=f"/projects/{record.id}/analyses",
        )  # fmt: skip


class ProjectList(BaseModel):
    model_config = _VIEW

    projects: list[ProjectView]
    next_cursor: str | None = None


class MemberView(BaseModel):
    model_config = _VIEW

    subject: str
    role: RoleName
    added_by: str
    added_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberView:
        return cls(subject=member.subject, role=member.role.value, added_by=member.added_by,
                   added_at=member.added_at)  # fmt: skip


class MemberList(BaseModel):
    model_config = _VIEW

    members: list[MemberView]


class ProjectAnalysisView(AnalysisView):
    """An analysis of a project: its version, who uploaded it, its baseline."""

    ref: str | None = None
    commit: str | None = None
    label: str | None = None
    uploaded_by: str | None = None
    baseline_id: str | None = None
    drift_url: str | None = None

    @classmethod
    def of_project(cls, record: AnalysisRecord) -> ProjectAnalysisView:
        base = AnalysisView.of(record).model_dump()
        prefix = f"/projects/{record.project_id}/analyses/{record.id}"
        base["reports"] = {f: f"{prefix}/report/{f}" for f in sorted(record.report_keys)}
        owner = record.owner
        return cls(**base, ref=owner.ref, commit=owner.commit, label=owner.label,
                   uploaded_by=owner.uploaded_by, baseline_id=owner.baseline_id,
                   drift_url=f"{prefix}/drift")  # fmt: skip


class AnalysisList(BaseModel):
    model_config = _VIEW

    analyses: list[ProjectAnalysisView]
    next_cursor: str | None = None

    @classmethod
    def of(cls, page: AnalysisPage) -> AnalysisList:
        return cls(analyses=[ProjectAnalysisView.of_project(r) for r in page.records],
                   next_cursor=page.next_cursor)  # fmt: skip


class DriftView(BaseModel):
    """An analysis against its baseline: the gate's verdict and what changed."""

    model_config = _VIEW

    analysis_id: str
    baseline_id: str | None
    gate: dict[str, Any] | None = None  # {spec, passed, reasons, roles}; null: no gate asked
    drift: dict[str, Any] | None = None  # {findings: {new, existing, fixed}, architecture}

    @classmethod
    def of(cls, drift: Drift) -> DriftView:
        return cls(analysis_id=drift.analysis.id, baseline_id=drift.baseline_id,
                   gate=drift.gate, drift=drift.drift)  # fmt: skip


class AuditView(BaseModel):
    model_config = _VIEW

    id: str
    type: str
    source: str
    subject: str | None = None
    time: datetime | None = None
    recorded_at: datetime | None = None
    actor: str | None = None
    data: dict[str, Any] | None = None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditView:
        data = entry.event.get("data")
        return cls(id=entry.event_id, type=entry.type, source=entry.source,
                   subject=entry.subject, time=entry.time, recorded_at=entry.recorded_at,
                   actor=entry.actor_id,
                   data=data if isinstance(data, dict) else None)  # fmt: skip


class AuditList(BaseModel):
    model_config = _VIEW

    entries: list[AuditView]
    next_cursor: str | None = None


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


_AUTH: dict[int, OpenAPIResponse] = {
    401: _error("no valid bearer token or API key"),
    403: _error("the caller's roles do not allow this action"),
}


def responses(status: int, model: type[BaseModel] | None, description: str,
              **extra: str) -> dict[int, OpenAPIResponse]:  # fmt: skip
    """A route's responses: its own outcome, the auth errors, the common errors, and
    `extra` ({"409": "why"}) of its own."""
    own: OpenAPIResponse = {"description": description}
    if model is not None:
        own["content"] = {"application/json": {"model": model}}
    mine = {int(code): _error(why) for code, why in ((k.strip("_"), v) for k, v in extra.items())}
    return {status: own, **ERROR_RESPONSES, **_AUTH, **mine}
