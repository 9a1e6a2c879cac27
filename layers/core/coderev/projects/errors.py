"""Errors of the projects room. Entry points map them by type (404, 403, 409, 422, 429...)."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, ConflictError, InputError, NotFoundError

__all__ = [
    "AccessDeniedError",
    "InvalidProjectError",
    "ProjectError",
    "ProjectNameTakenError",
    "ProjectNotFoundError",
    "ProjectStoreError",
    "TooManyPendingUploadsError",
]


class ProjectError(CoderevError):
    """Base of the projects room's errors."""


class ProjectNotFoundError(ProjectError, NotFoundError):
    """No such project in the caller's tenant (another tenant's project is not found either:
    an id guessed across tenants learns nothing, not even that it exists)."""

    def __init__(self, project: str) -> None:
        self.project = project
        super().__init__(f"no project {project!r}")


class ProjectNameTakenError(ProjectError, ConflictError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a project named {name!r} exists already")


class InvalidProjectError(ProjectError, InputError):
    """A name, role, setting or filter that is not acceptable; the message says which."""


class AccessDeniedError(ProjectError):
    """The principal's roles (tenant-wide and on the project) do not allow the action."""

    def __init__(self, action: str, target: str) -> None:
        self.action = action
        self.target = target
        super().__init__(f"your roles do not allow {action} on {target}")


class TooManyPendingUploadsError(ProjectError):
    """The tenant holds as many presigned uploads not yet used as it may (429)."""

    retry_after_s = 60

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"{limit} presigned uploads are waiting for their archive already: upload to "
            "them, or wait until they expire"
        )


class ProjectStoreError(ProjectError):
    """The database holding the projects cannot be used."""
