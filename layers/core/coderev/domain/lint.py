"""Which lint configuration a review ran ruff with: the project's own, or coderev's alone.

`project` (the default) runs ruff with the reviewed tree's own configuration files
(pyproject.toml `[tool.ruff]`, ruff.toml, .ruff.toml, nested ones, `extend` chains inside the
tree), adds coderev's rule selection only where the project has not turned a rule off, and
honours `# noqa` and bandit's `# nosec`. `isolated` ignores every configuration file and runs
coderev's selection alone (coderev's behaviour before the project's configuration was read).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LintConfigMode(StrEnum):
    PROJECT = "project"
    ISOLATED = "isolated"


@dataclass(frozen=True, slots=True)
class RuffConfigUse:
    """One of the project's ruff settings files, as ruff resolved it for some files."""

    path: str  # the settings file, relative to the tree's root
    files: int  # Python files it governed (the closest settings file above them)
    added_rules: tuple[str, ...]  # rule codes coderev enabled beyond the project's selection
    extends: tuple[str, ...] = ()  # the files its `extend` chain read, nearest first


@dataclass(frozen=True, slots=True)
class LintConfiguration:
    """What ruff ran with, for the report: which files configured it and what coderev added."""

    mode: LintConfigMode
    ruff_version: str
    configs: tuple[RuffConfigUse, ...] = ()  # empty: no project configuration was used
    default_files: int = 0  # Python files under no project configuration: coderev's selection
    warnings: tuple[str, ...] = ()  # configurations left out, and why
    nosec_suppressed: int = 0  # security findings a `# nosec` comment suppressed
