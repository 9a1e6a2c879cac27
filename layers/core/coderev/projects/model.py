"""What a project is: a tenant's named home for analyses, its members, settings and baseline.

- `Role`: the four roles, ordered (viewer < reviewer < maintainer < admin). A principal's
  roles come from its tenant (the token's `roles`); a project member gets a role on that
  project too. The higher of the two applies (`coderev.projects.access`).
- `ProjectSettings`: the gate rule every analysis of the project is held to (`fail_on`, as
  `coderev review --fail-on`), the paths it ignores (globs, as `--exclude`) and an
  architecture contracts override (a whole ProjectConfig in the codec's JSON form, as
  `--config`). They become the analysis request of each upload (`analysis_request`).
- `ProjectRecord`: the project as stored; `baseline_id` is the analysis every new analysis of
  the project is compared with; `deleted_at` marks a soft-deleted project (its analyses and
  audit trail stay; it is no longer listed nor usable, and its name is free again).
- `Version`: what an upload says about the code it holds (ref, commit, label) and who
  uploaded it; recorded on the analysis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from coderev.projects.errors import InvalidProjectError

__all__ = [
    "DEFAULT_PROJECT_ID",
    "DEFAULT_PROJECT_NAME",
    "DEFAULT_TENANT",
    "MAX_IGNORE_PATHS",
    "Member",
    "NewProject",
    "ProjectRecord",
    "ProjectSettings",
    "Role",
    "Version",
    "check_name",
]

DEFAULT_TENANT = "default"
"""The tenant the records made before tenants existed were adopted into (migration 0006),
and the local admin's (the embedded CLI's)."""
DEFAULT_PROJECT_ID = "default"
DEFAULT_PROJECT_NAME = "default"
MAX_NAME = 100
MAX_DESCRIPTION = 2000
MAX_IGNORE_PATHS = 100
MAX_VERSION_FIELD = 255
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SUBJECT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:+-]{0,254}$")


class Role(StrEnum):
    VIEWER = "viewer"
    REVIEWER = "reviewer"
    MAINTAINER = "maintainer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @classmethod
    def parse(cls, value: object) -> Role:
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(r.value for r in cls)
            raise InvalidProjectError(f"role {value!r} is not one of {choices}") from None


_RANKS = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.MAINTAINER: 2, Role.ADMIN: 3}


def check_name(name: object) -> str:
    """A project name: 1-100 letters, digits, `.`, `_`, `-`, starting with a letter or digit
    (it appears in URLs, CLI arguments and report links unescaped)."""
    if not isinstance(name, str) or not name or len(name) > MAX_NAME or not _NAME.match(name):
        raise InvalidProjectError(
            f"project name {str(name)[:120]!r} must be 1-{MAX_NAME} letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_subject(subject: object) -> str:
    """A member's subject (a user id as the tokens' `sub` names it)."""
    if not isinstance(subject, str) or not _SUBJECT.match(subject):
        raise InvalidProjectError(f"member {str(subject)[:120]!r} is not a user id")
    return subject


@dataclass(frozen=True, slots=True)
class ProjectSettings:
    fail_on: str = "none"
    ignore_paths: tuple[str, ...] = ()
    contracts: Mapping[str, Any] | None = field(default=None, hash=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "fail_on": self.fail_on,
            "ignore_paths": list(self.ignore_paths),
            "contracts": None if self.contracts is None else dict(self.contracts),
        }

    @classmethod
    def parse(cls, document: Mapping[str, Any] | None) -> ProjectSettings:
        """Settings from their JSON form, each checked as the analysis request checks it (a
        gate that parses, globs, a ProjectConfig that decodes): a bad setting is refused
        here, not found out by every later upload."""
        if not document:
            return cls()
        unknown = sorted(set(document) - {"fail_on", "ignore_paths", "contracts"})
        if unknown:
            raise InvalidProjectError(f"unknown setting(s) {', '.join(unknown)}")
        fail_on = document.get("fail_on") or "none"
        ignore = document.get("ignore_paths") or []
        contracts = document.get("contracts")
        if not isinstance(ignore, list) or len(ignore) > MAX_IGNORE_PATHS:
            raise InvalidProjectError(f"ignore_paths must be a list of at most "
                                      f"{MAX_IGNORE_PATHS} globs")  # fmt: skip
        if contracts is not None and not isinstance(contracts, Mapping):
            raise InvalidProjectError("contracts must be an object (a coderev configuration)")
        from coderev.pipeline.request import RequestError, ReviewRequest

        try:
            ReviewRequest.parse({"fail_on": fail_on, "exclude": ignore, "config": contracts})
        except RequestError as exc:
            raise InvalidProjectError(f"settings: {exc}") from None
        return cls(fail_on, tuple(ignore), None if contracts is None else dict(contracts))


@dataclass(frozen=True, slots=True)
class NewProject:
    tenant: str
    name: str
    created_by: str
    description: str = ""
    settings: ProjectSettings = ProjectSettings()
    id: str | None = None  # None: a new UUID


@dataclass(frozen=True, slots=True)
class ProjectRecord:
    id: str
    tenant: str
    name: str
    description: str
    settings: ProjectSettings
    created_by: str
    created_at: datetime
    updated_at: datetime
    baseline_id: str | None = None
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Member:
    project_id: str
    subject: str
    role: Role
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    """What an upload says about its code, and who uploaded it (recorded on the analysis)."""

    ref: str | None = None  # e.g. refs/heads/main
    commit: str | None = None
    label: str | None = None  # e.g. v1.4.0
    uploaded_by: str | None = None

    def __post_init__(self) -> None:
        for name in ("ref", "commit", "label", "uploaded_by"):
            value = getattr(self, name)
            if value is not None and (not value.strip() or len(value) > MAX_VERSION_FIELD
                                      or any(ord(c) < 32 for c in value)):  # fmt: skip
                raise InvalidProjectError(
                    f"{name} must be 1-{MAX_VERSION_FIELD} printable characters"
                )


def distinct(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
