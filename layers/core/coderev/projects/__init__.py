"""Projects: a tenant's named homes for analyses, with members, settings and a baseline.

- `model`: ProjectRecord, ProjectSettings (gate rule, ignore paths, contracts override),
  Member, Role, Version (ref/commit/label and the uploader of an analysis).
- `access`: the role each action needs, and a principal's role on a project.
- `repository`: the ProjectRepository port (every method bounded to one tenant);
  `sql_repository` and `tables`: its SQLAlchemy implementation (not imported here).
- `service`: the projects' use cases (Projects); `analyses`: a project's analyses (uploads
  held to its settings and compared with its baseline, lists, drift: ProjectAnalyses);
  `audits`: reading the audit trail; `events`: the audit events of every mutation.
"""

from __future__ import annotations

from coderev.projects.errors import (
    AccessDeniedError,
    InvalidProjectError,
    ProjectError,
    ProjectNameTakenError,
    ProjectNotFoundError,
    ProjectStoreError,
    TooManyPendingUploadsError,
)
from coderev.projects.model import (
    DEFAULT_PROJECT_ID,
    DEFAULT_TENANT,
    Member,
    NewProject,
    ProjectRecord,
    ProjectSettings,
    Role,
    Version,
)

__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEFAULT_TENANT",
    "AccessDeniedError",
    "InvalidProjectError",
    "Member",
    "NewProject",
    "ProjectError",
    "ProjectNameTakenError",
    "ProjectNotFoundError",
    "ProjectRecord",
    "ProjectSettings",
    "ProjectStoreError",
    "Role",
    "TooManyPendingUploadsError",
    "Version",
]
