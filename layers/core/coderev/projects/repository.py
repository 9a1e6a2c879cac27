"""The port of the projects room: where projects and their members are kept.

Every method takes the tenant first and reads or writes that tenant's rows only: a project of
another tenant is never returned, changed or counted, whatever id a caller names. A deleted
project is found by `get(..., deleted=True)` only (its analyses keep pointing at it).
`SqlProjectRepository` implements it on SQLite (embedded) and PostgreSQL; one contract suite
runs on both.
"""

from __future__ import annotations

from typing import Protocol

from coderev.projects.model import Member, NewProject, ProjectRecord, ProjectSettings, Role

__all__ = ["UNCHANGED", "ProjectRepository", "Unchanged"]


class Unchanged:
    """The value of an update's argument that is to stay as it is."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()


class ProjectRepository(Protocol):
    def create(self, new: NewProject) -> ProjectRecord:
        """A new project; ProjectNameTakenError when the tenant has a live one of that name."""
        ...

    def get(
        self, tenant: str, project_id: str, *, deleted: bool = False
    ) -> ProjectRecord | None: ...

    def by_name(self, tenant: str, name: str) -> ProjectRecord | None:
        """The tenant's live project named `name`."""
        ...

    def page(
        self, tenant: str, *, after: str | None = None, limit: int = 50,
        name_prefix: str | None = None,
    ) -> tuple[list[ProjectRecord], str | None]:  # fmt: skip
        """Live projects by name; the cursor of the next page (None on the last)."""
        ...

    def update(
        self, tenant: str, project_id: str, *, name: str | Unchanged = UNCHANGED,
        description: str | Unchanged = UNCHANGED,
        settings: ProjectSettings | Unchanged = UNCHANGED,
        baseline_id: str | Unchanged | None = UNCHANGED,
    ) -> ProjectRecord:  # fmt: skip
        """ProjectNotFoundError (not the tenant's, or deleted), ProjectNameTakenError."""
        ...

    def soft_delete(self, tenant: str, project_id: str) -> ProjectRecord:
        """Mark deleted (its name is free again); ProjectNotFoundError when not live."""
        ...

    def member(self, tenant: str, project_id: str, subject: str) -> Member | None: ...

    def members(self, tenant: str, project_id: str) -> list[Member]: ...

    def put_member(
        self, tenant: str, project_id: str, subject: str, role: Role, added_by: str
    ) -> Member:
        """Add the member, or change its role."""
        ...

    def remove_member(self, tenant: str, project_id: str, subject: str) -> bool: ...
