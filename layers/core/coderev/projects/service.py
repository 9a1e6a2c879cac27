"""The projects' use cases: what the `projects` and `analyses` functions and the CLI call.

Each takes the `Actor` (the principal and its request id) and works in the principal's
tenant only (the repository's every query is bounded to it). Each checks the principal's
role on the project (coderev.projects.access) and publishes the audit event of what it
changed, or of the refusal (coderev.projects.events). A project is named in a URL by its id
or by its name (`resolve`): `/projects/shop` and `/projects/<uuid>` are the same project.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coderev.projects.access import Action, project_role, require, tenant_role
from coderev.projects.errors import AccessDeniedError, InvalidProjectError, ProjectNotFoundError
from coderev.projects.events import Actor, publish_mutation
from coderev.projects.model import (
    DEFAULT_PROJECT_ID,
    DEFAULT_PROJECT_NAME,
    DEFAULT_TENANT,
    MAX_DESCRIPTION,
    NewProject,
    ProjectRecord,
    ProjectSettings,
    Role,
    check_name,
    check_subject,
)
from coderev.projects.repository import UNCHANGED, Unchanged

if TYPE_CHECKING:
    from coderev.analyses.repository import AnalysisRepository
    from coderev.ports import EventBus
    from coderev.projects.model import Member
    from coderev.projects.repository import ProjectRepository

__all__ = ["ProjectView", "Projects"]


@dataclass(frozen=True, slots=True)
class ProjectView:
    """A project with the role the asking principal has on it."""

    project: ProjectRecord
    role: Role


class Projects:
    def __init__(
        self, repository: ProjectRepository, analyses: AnalysisRepository,
        events: EventBus | None = None,
    ) -> None:  # fmt: skip
        self.repository = repository
        self.analyses = analyses
        self._events = events

    def __repr__(self) -> str:
        return "Projects()"

    # --- access -------------------------------------------------------------------------------

    def authorize(self, actor: Actor, project: str, action: Action) -> ProjectView:
        """The project `project` (id or name) of the actor's tenant, when the actor's role on
        it allows `action`; ProjectNotFoundError, or AccessDeniedError (audited)."""
        record = self.resolve(actor.tenant, project)
        member = self.repository.member(actor.tenant, record.id, actor.subject)
        role = project_role(actor.principal, member)
        self._require(actor, role, action, f"project:{record.id}")
        assert role is not None  # require() refused None
        return ProjectView(record, role)

    def resolve(self, tenant: str, project: str) -> ProjectRecord:
        if not project or len(project) > 100:
            raise ProjectNotFoundError(project[:100])
        found = self.repository.get(tenant, project) or self.repository.by_name(tenant, project)
        if found is None:
            raise ProjectNotFoundError(project)
        return found

    def _require(self, actor: Actor, role: Role | None, action: Action, target: str) -> None:
        try:
            require(role, action, target)
        except AccessDeniedError:
            publish_mutation(self._events, actor, "coderev.access.denied", action.value,
                             target, outcome="denied")  # fmt: skip
            raise

    # --- projects -----------------------------------------------------------------------------

    def create(
        self, actor: Actor, name: str, description: str = "",
        settings: ProjectSettings | None = None,
    ) -> ProjectRecord:  # fmt: skip
        self._require(actor, tenant_role(actor.principal), Action.CREATE_PROJECT, "projects")
        new = NewProject(actor.tenant, check_name(name), actor.subject,
                         _description(description), settings or ProjectSettings())  # fmt: skip
        record = self.repository.create(new)
        self._audit(actor, "coderev.project.created", "create", record, {"name": record.name})
        return record

    def page(
        self, actor: Actor, *, after: str | None = None, limit: int = 50,
        name: str | None = None,
    ) -> tuple[list[ProjectRecord], str | None]:  # fmt: skip
        self._require(actor, tenant_role(actor.principal), Action.READ, "projects")
        return self.repository.page(actor.tenant, after=after, limit=limit, name_prefix=name)

    def get(self, actor: Actor, project: str) -> ProjectView:
        return self.authorize(actor, project, Action.READ)

    def update(
        self, actor: Actor, project: str, *, name: str | Unchanged = UNCHANGED,
        description: str | Unchanged = UNCHANGED,
        settings: ProjectSettings | Unchanged = UNCHANGED,
    ) -> ProjectRecord:  # fmt: skip
        view = self.authorize(actor, project, Action.UPDATE)
        if not isinstance(name, Unchanged):
            check_name(name)
        if not isinstance(description, Unchanged):
            description = _description(description)
        record = self.repository.update(actor.tenant, view.project.id, name=name,
                                        description=description, settings=settings)  # fmt: skip
        given = {"name": name, "description": description, "settings": settings}
        changed = [k for k, v in given.items() if not isinstance(v, Unchanged)]
        self._audit(actor, "coderev.project.updated", "update", record, {"changed": changed})
        return record

    def delete(self, actor: Actor, project: str) -> ProjectRecord:
        view = self.authorize(actor, project, Action.DELETE)
        record = self.repository.soft_delete(actor.tenant, view.project.id)
        self._audit(actor, "coderev.project.deleted", "delete", record, {"name": record.name})
        return record

    def ensure_default(self, tenant: str, created_by: str) -> ProjectRecord:
        """The tenant's default project (what the unscoped /analyses routes use), made on
        first use; the default tenant's is the one migration 0006 made."""
        found = self.repository.by_name(tenant, DEFAULT_PROJECT_NAME)
        if found is not None:
            return found
        from coderev.projects.errors import ProjectNameTakenError

        new = NewProject(tenant, DEFAULT_PROJECT_NAME, created_by,
                         "the analyses uploaded without naming a project",
                         id=DEFAULT_PROJECT_ID if tenant == DEFAULT_TENANT else None)  # fmt: skip
        try:
            return self.repository.create(new)
        except ProjectNameTakenError:  # made meanwhile by another request
            return self.resolve(tenant, DEFAULT_PROJECT_NAME)

    # --- members ------------------------------------------------------------------------------

    def members(self, actor: Actor, project: str) -> list[Member]:
        view = self.authorize(actor, project, Action.READ)
        return self.repository.members(actor.tenant, view.project.id)

    def put_member(self, actor: Actor, project: str, subject: str, role: str) -> Member:
        """Add a member or change its role; nobody grants a role above their own."""
        view = self.authorize(actor, project, Action.MANAGE_MEMBERS)
        wanted = Role.parse(role)
        if wanted.rank > view.role.rank:
            self._require(actor, None, Action.MANAGE_MEMBERS, f"project:{view.project.id}")
        member = self.repository.put_member(actor.tenant, view.project.id, check_subject(subject),
                                            wanted, actor.subject)  # fmt: skip
        self._audit(actor, "coderev.project.member_changed", "put_member", view.project,
                    {"member": subject, "role": wanted.value})  # fmt: skip
        return member

    def remove_member(self, actor: Actor, project: str, subject: str) -> bool:
        view = self.authorize(actor, project, Action.MANAGE_MEMBERS)
        removed = self.repository.remove_member(actor.tenant, view.project.id, subject)
        if removed:
            self._audit(actor, "coderev.project.member_changed", "remove_member",
                        view.project, {"member": subject, "role": None})  # fmt: skip
        return removed

    # --- baseline -----------------------------------------------------------------------------

    def set_baseline(self, actor: Actor, project: str, analysis_id: str | None) -> ProjectRecord:
        """Make `analysis_id` (a SUCCEEDED analysis of this project) the baseline every new
        analysis of the project is compared with; None clears it."""
        view = self.authorize(actor, project, Action.SET_BASELINE)
        if analysis_id is not None:
            from coderev.service.uploads import baseline_key

            baseline_key(self.analyses, analysis_id, actor.tenant, view.project.id)
        record = self.repository.update(actor.tenant, view.project.id, baseline_id=analysis_id)
        self._audit(actor, "coderev.project.baseline_changed", "set_baseline", record,
                    {"baseline_id": analysis_id})  # fmt: skip
        return record

    # --- audit --------------------------------------------------------------------------------

    def audit_request(self, actor: Actor, action: str, project: ProjectRecord,
                      details: dict[str, Any]) -> None:  # fmt: skip
        """The audit event of an analysis asked for in `project` (an upload, a rerun)."""
        publish_mutation(self._events, actor, "coderev.analysis.requested", action,
                         f"project:{project.id}", details=details)  # fmt: skip

    def _audit(self, actor: Actor, event_type: str, action: str, record: ProjectRecord,
               details: dict[str, Any]) -> None:  # fmt: skip
        publish_mutation(self._events, actor, event_type, action, f"project:{record.id}",
                         details=details)  # fmt: skip


def _description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise InvalidProjectError(f"description must be a string of at most {MAX_DESCRIPTION} "
                                  "characters")  # fmt: skip
    return text
