"""The result of one review run, from which every report format is rendered."""

from __future__ import annotations

from dataclasses import dataclass, field

from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult
from coderev.domain.findings import Finding
from coderev.domain.lint import LintConfiguration
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.review import Review
from coderev.domain.roles import FileRole
from coderev.domain.source import SkippedEntry


@dataclass(frozen=True, slots=True)
class FindingsDrift:
    new: int
    existing: int
    fixed: tuple[str, ...]  # fingerprints in the baseline that are gone now


@dataclass(frozen=True, slots=True)
class ReviewResult:
    source: str  # what was reviewed (directory or archive name)
    files: tuple[SourceFileInfo, ...]
    findings: tuple[Finding, ...]  # sorted: source first, then severity desc, path, line
    skipped: tuple[SkippedEntry, ...]
    architecture: ArchitectureResult
    review: Review
    findings_drift: FindingsDrift | None = None
    architecture_drift: ArchitectureDrift | None = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    figures: dict[str, float] = field(default_factory=dict)  # e.g. workers, worker_peak_rss_mb
    # the roles whose findings the quality gate counts (the project's gate_roles)
    gate_roles: tuple[FileRole, ...] = (FileRole.SOURCE,)
    lint_config: LintConfiguration | None = None  # what ruff ran with; None: not recorded
