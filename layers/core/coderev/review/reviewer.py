"""The reviewer interface every reviewer implements, and what it is given to review.

The registry that picks a reviewer by name lives in `coderev.review.registry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult
from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.report import FindingsDrift
from coderev.domain.review import Review


@dataclass(frozen=True, slots=True)
class ReviewInput:
    """Everything a reviewer may look at. Findings carry their new/existing status."""

    source: str  # what was reviewed (directory or archive name)
    findings: tuple[Finding, ...]
    files: tuple[SourceFileInfo, ...]
    architecture: ArchitectureResult
    architecture_drift: ArchitectureDrift | None = None  # set when a baseline was given
    findings_drift: FindingsDrift | None = None  # set when a baseline was given

    @property
    def has_baseline(self) -> bool:
        return self.findings_drift is not None or self.architecture_drift is not None


class Reviewer(Protocol):
    """Turns findings, metrics and architecture into review comments and a summary."""

    name: str

    def review(self, subject: ReviewInput) -> Review: ...
