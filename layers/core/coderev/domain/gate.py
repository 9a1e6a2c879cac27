"""The quality gate's verdict on one review: passed or not, and why."""

from __future__ import annotations

from dataclasses import dataclass

from coderev.domain.roles import FileRole


@dataclass(frozen=True, slots=True)
class GateOutcome:
    spec: str  # the gate as given, e.g. "new-high,architecture" ("none" when there is no gate)
    passed: bool
    reasons: tuple[str, ...]  # one line per failed condition, with counts; empty when passed
    # the roles of the files whose findings were counted ([tool.coderev] gate_roles)
    roles: tuple[FileRole, ...] = (FileRole.SOURCE,)
