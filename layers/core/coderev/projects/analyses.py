"""A project's analyses: uploads (direct and presigned) held to the project's settings and
compared with its baseline, the list of its analyses, one analysis, its reports and its drift.

An upload through a project becomes an analysis request (coderev.pipeline.request) made of
the project's settings and what the upload asks on top: the gate is the request's `fail_on`
when given, else the project's rule; excluded paths are the project's ignore paths and the
request's; the architecture contracts are the project's override when it has one; the
baseline is the request's (an analysis of the same project) else the project's baseline,
so each new analysis is compared with it (findings new/existing/fixed, architecture drift)
and the gate decides pass/fail. A project baseline gone meanwhile (swept by retention) is
dropped rather than refusing every upload; the analysis records which baseline it used.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from coderev.analyses.model import AnalysisQuery, AnalysisStatus, Ownership
from coderev.projects.access import Action
from coderev.service.errors import BaselineUnavailableError, ReportNotFoundError

if TYPE_CHECKING:
    from coderev.analyses.model import AnalysisPage, AnalysisRecord
    from coderev.pipeline.request import ReviewRequest
    from coderev.ports import ObjectStore
    from coderev.projects.events import Actor
    from coderev.projects.model import ProjectRecord, Version
    from coderev.projects.service import Projects
    from coderev.service.uploads import PresignedAnalysis

__all__ = ["Asked", "Drift", "ProjectAnalyses"]


@dataclass(frozen=True, slots=True)
class Asked:
    """What an upload asks on top of the project's settings (the query parameters)."""

    baseline: str | None = None
    fail_on: str | None = None
    exclude: tuple[str, ...] = ()
    allow_unsupported_contracts: bool = False
    lint_config: str | None = None
    filename: str | None = None
    reviewer: str | None = None  # offline, auto, openai:MODEL, ... (the Review function's own)


@dataclass(frozen=True, slots=True)
class Drift:
    """An analysis against its baseline: the gate's verdict and what changed."""

    analysis: AnalysisRecord
    baseline_id: str | None
    gate: dict[str, Any] | None
    drift: dict[str, Any] | None


class ProjectAnalyses:
    def __init__(self, projects: Projects, store: ObjectStore, bucket: str, *,
                 max_pending_uploads: int, upload_url_seconds: int) -> None:  # fmt: skip
        self.projects = projects
        self.records = projects.analyses
        self.store = store
        self.bucket = bucket
        self.max_pending_uploads = max_pending_uploads
        self.upload_url_seconds = upload_url_seconds

    def __repr__(self) -> str:
        return "ProjectAnalyses()"

    # --- uploads ------------------------------------------------------------------------------

    def upload(self, actor: Actor, project: str, data: bytes, asked: Asked,
               version: Version) -> AnalysisRecord:  # fmt: skip
        from coderev.service.uploads import accept_upload

        record_of = self.projects.authorize(actor, project, Action.UPLOAD).project
        request, owner = self._request(actor, record_of, asked, version)
        record = accept_upload(self.store, self.records, self.bucket, data, record_of.id,
                               filename=asked.filename, request=request,
                               tenant_id=actor.tenant, owner=owner)  # fmt: skip
        self._audit(actor, "upload", record_of, record)
        return record

    def presign(self, actor: Actor, project: str, asked: Asked,
                version: Version) -> PresignedAnalysis:  # fmt: skip
        from coderev.service.uploads import presign_upload

        record_of = self.projects.authorize(actor, project, Action.UPLOAD).project
        request, owner = self._request(actor, record_of, asked, version)
        reserved = presign_upload(
            self.store, self.records, self.bucket, expires_in=self.upload_url_seconds,
            project_id=record_of.id, filename=asked.filename, request=request,
            tenant_id=actor.tenant, owner=owner, max_pending=self.max_pending_uploads,
        )  # fmt: skip
        self._audit(actor, "presign_upload", record_of, reserved.record)
        return reserved

    def rerun(self, actor: Actor, project: str, analysis_id: str) -> AnalysisRecord:
        from coderev.service.uploads import rerun_analysis

        record_of = self.projects.authorize(actor, project, Action.UPLOAD).project
        self._own(actor, record_of, analysis_id)
        record = rerun_analysis(self.store, self.records, self.bucket, analysis_id,
                                actor.tenant, uploaded_by=actor.subject)  # fmt: skip
        self._audit(actor, "rerun", record_of, record, {"rerun_of": analysis_id})
        return record

    def _request(self, actor: Actor, project: ProjectRecord, asked: Asked,
                 version: Version) -> tuple[ReviewRequest, Ownership]:  # fmt: skip
        from coderev.service.uploads import baseline_key, review_request

        settings = project.settings
        request = review_request(
            self.records, tenant_id=actor.tenant, project_id=project.id,
            baseline=asked.baseline, fail_on=asked.fail_on or settings.fail_on,
            exclude=[*settings.ignore_paths, *asked.exclude],
            allow_unsupported_contracts=asked.allow_unsupported_contracts,
            lint_config=asked.lint_config, reviewer=asked.reviewer,
        )  # fmt: skip
        baseline_id = asked.baseline
        if baseline_id is None and project.baseline_id is not None:
            try:
                key = baseline_key(self.records, project.baseline_id, actor.tenant, project.id)
            except BaselineUnavailableError:
                key = None  # swept since it was chosen: compared with nothing, and recorded so
            else:
                baseline_id = project.baseline_id
                request = replace(request, baseline_key=key)
        if settings.contracts is not None:
            from coderev.pipeline.request import ReviewRequest

            config = ReviewRequest.parse({"config": dict(settings.contracts)}).config
            request = replace(request, config=config)
            request, stored = request.with_config_stored(f"configs/{uuid.uuid4()}/config.json")
            if stored is not None:
                self.store.put(request.config_key or "", stored, content_type="application/json")
        owner = Ownership(version.ref, version.commit, version.label, actor.subject, baseline_id)
        return request, owner

    def _audit(self, actor: Actor, action: str, project: ProjectRecord, record: AnalysisRecord,
               extra: dict[str, Any] | None = None) -> None:  # fmt: skip
        details = {"analysis_id": record.id, "ref": record.owner.ref,
                   "commit": record.owner.commit, "label": record.owner.label,
                   "baseline_id": record.owner.baseline_id, **(extra or {})}  # fmt: skip
        self.projects.audit_request(actor, action, project, details)

    # --- reading ------------------------------------------------------------------------------

    def list(self, actor: Actor, project: str, query: AnalysisQuery) -> AnalysisPage:
        record_of = self.projects.authorize(actor, project, Action.READ).project
        return self.records.page(replace(query, tenant_id=actor.tenant, project_id=record_of.id))

    def get(self, actor: Actor, project: str, analysis_id: str) -> AnalysisRecord:
        record_of = self.projects.authorize(actor, project, Action.READ).project
        return self._own(actor, record_of, analysis_id)

    def _own(self, actor: Actor, project: ProjectRecord, analysis_id: str) -> AnalysisRecord:
        from coderev.analyses.errors import AnalysisNotFoundError

        record = self.records.find(actor.tenant, analysis_id)
        if record is None or record.project_id != project.id:
            raise AnalysisNotFoundError(analysis_id)
        return record

    def drift(self, actor: Actor, project: str, analysis_id: str) -> Drift:
        """The gate and the drift report.json holds (the engine computed them at Review)."""
        from coderev.service.uploads import read_report

        record = self.get(actor, project, analysis_id)
        report = json.loads(read_report(self.store, self.records, record.id, "json",
                                        actor.tenant).body)  # fmt: skip
        if not isinstance(report, dict):
            raise ReportNotFoundError(f"the json report of {analysis_id} is unreadable")
        summary = report.get("summary") or {}
        return Drift(record, record.owner.baseline_id, summary.get("gate"), report.get("drift"))


def query_for(tenant: str, **filters: Any) -> AnalysisQuery:
    status = filters.pop("status", None)
    return AnalysisQuery(tenant, status=None if status is None else AnalysisStatus(status),
                         **filters)  # fmt: skip
