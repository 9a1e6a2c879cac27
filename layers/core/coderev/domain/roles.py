"""What a file is for: the role it plays in the repository under review.

Product code (`source`) is what a review is about; tests, examples, docs, build scripts and
generated code are reviewed at reduced severity, in their own report section, and some rules
mean nothing there (a fixture's "password", a test's missing timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FileRole(StrEnum):
    SOURCE = "source"
    TEST = "test"
    EXAMPLE = "example"
    DOCS = "docs"
    BUILD = "build"
    GENERATED = "generated"


@dataclass(frozen=True, slots=True)
class RoleGlobs:
    """A project's own say on roles (`[tool.coderev.roles]`): files matching `globs` have
    `role`, whatever their path or contents would suggest."""

    role: FileRole
    globs: tuple[str, ...]
