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

ACCEPTANCE_THRESHOLD = 0.30


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """Which review configuration reviewed, under which experiment and arm, and what users'
    feedback says of the project's rules: the rules whose comments users accept less than
    `acceptance_threshold` of the time are shown collapsed in every report (which says so).

    `feedback_url`: where a report links a finding's accept / dismiss / wrong verdict (the
    experiments API's feedback form), None: no server to send it to (an offline run)."""

    configuration: str | None = None  # "name@version"; None: coderev's built-in defaults
    configuration_digest: str | None = None
    experiment_id: str | None = None
    experiment_name: str | None = None
    arm: str | None = None
    project: str | None = None
    analysis_id: str | None = None
    collapsed_rules: tuple[str, ...] = ()
    acceptance: dict[str, float] = field(default_factory=dict)  # rule -> share accepted
    acceptance_threshold: float = ACCEPTANCE_THRESHOLD
    feedback_url: str | None = None

    @property
    def collapse_note(self) -> str:
        return (
            f"Rules with < {self.acceptance_threshold:.0%} acceptance in this project are "
            "shown collapsed"
        )

    def feedback_link(self, fingerprint: str, rule_id: str, verdict: str) -> str | None:
        """The link a user follows to give `verdict` on a finding; None without a server."""
        if self.feedback_url is None or self.analysis_id is None:
            return None
        from urllib.parse import urlencode

        query = {"analysis": self.analysis_id, "fingerprint": fingerprint, "rule": rule_id,
                 "verdict": verdict}  # fmt: skip
        if self.project:
            query["project"] = self.project
        if self.configuration:
            query["configuration"] = self.configuration
        return f"{self.feedback_url}?{urlencode(query)}"


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
    context: ReviewContext = field(default_factory=ReviewContext)
