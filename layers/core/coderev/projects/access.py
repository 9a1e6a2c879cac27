"""Who may do what to a project: the role each action needs, and a principal's role on a
project (the higher of its tenant roles and its membership of the project).

The authorizer and the Rego policies decide at the gateway whether a role may call a route at
all; this is the data layer's own check, on the project the request names: a member made
maintainer of one project may change that project's settings, not another's. Tenant isolation
is not decided here: every repository query takes the principal's tenant, so a project of
another tenant is never found (404), whatever the roles.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from coderev.projects.errors import AccessDeniedError
from coderev.projects.model import Role

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.projects.model import Member

__all__ = ["Action", "project_role", "require", "tenant_role"]


class Action(StrEnum):
    READ = "read"  # the project, its analyses, reports, drift, members
    CREATE_PROJECT = "create_project"
    UPLOAD = "upload"  # a new analysis (a version) of the project, or a rerun
    UPDATE = "update"  # name, description, settings
    SET_BASELINE = "set_baseline"
    MANAGE_MEMBERS = "manage_members"
    DELETE = "delete"
    READ_AUDIT = "read_audit"

    @property
    def needs(self) -> Role:
        return _NEEDS[self]


_NEEDS = {
    Action.READ: Role.VIEWER,
    Action.UPLOAD: Role.REVIEWER,
    Action.CREATE_PROJECT: Role.MAINTAINER,
    Action.UPDATE: Role.MAINTAINER,
    Action.SET_BASELINE: Role.MAINTAINER,
    Action.MANAGE_MEMBERS: Role.MAINTAINER,
    Action.DELETE: Role.ADMIN,
    Action.READ_AUDIT: Role.ADMIN,
}


def tenant_role(principal: Principal) -> Role | None:
    """The highest of the principal's tenant-wide roles (unknown role names count for none)."""
    known = [Role(r) for r in principal.roles if r in Role.__members__.values()]
    return max(known, key=lambda r: r.rank, default=None)


def project_role(principal: Principal, member: Member | None) -> Role | None:
    roles = [r for r in (tenant_role(principal), member.role if member else None) if r]
    return max(roles, key=lambda r: r.rank, default=None)


def require(role: Role | None, action: Action, target: str) -> None:
    """AccessDeniedError unless `role` is at least what `action` needs."""
    if role is None or role.rank < action.needs.rank:
        raise AccessDeniedError(action.value, target)
