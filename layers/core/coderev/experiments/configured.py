"""A review configuration applied to a review run: its reviewer, thresholds and severity
policy as `ReviewOptions` (coderev.pipeline), so one configuration reviews the same way in the
offline evaluation, the CLI and a live arm.

The severity policy runs after the catalogue's (coderev.rules.policy): a rule set to `off` is
not reported, a rule given a severity is reported at it, and findings below `min_severity` are
left out; the catalogue decided first, so the configuration only narrows or re-grades.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from coderev.domain.findings import Finding, Severity

if TYPE_CHECKING:
    from coderev.domain.source import SourceTree
    from coderev.experiments.model import ConfigurationSpec
    from coderev.pipeline.options import ReviewOptions

__all__ = ["SeverityPolicy", "review_options"]


class SeverityPolicy:
    """`{"min_severity": "medium", "rules": {"CR-MET-005": "off", "S101": "info"}}` as a
    finding filter (a callable, what ReviewOptions.finding_policy takes)."""

    def __init__(self, policy: Mapping[str, Any]) -> None:
        minimum = policy.get("min_severity")
        self.minimum = None if minimum is None else Severity(minimum)
        self.rules = {rule: str(level) for rule, level in (policy.get("rules") or {}).items()}

    def __call__(self, findings: Sequence[Finding]) -> list[Finding]:
        kept = []
        for f in findings:
            level = self.rules.get(f.rule_id)
            if level == "off":
                continue
            if level is not None and level != f.severity:
                f = replace(f, severity=Severity(level))
            if self.minimum is not None and f.severity.rank < self.minimum.rank:
                continue
            kept.append(f)
        return kept


def review_options(
    spec: ConfigurationSpec, tree: SourceTree, base: ReviewOptions | None = None
) -> ReviewOptions:
    """`base` (default options) reviewing as `spec` says: its reviewer, the repository's own
    configuration with the spec's thresholds over it, its severity policy."""
    from coderev.architecture.config import load_project_config
    from coderev.pipeline.options import ReviewOptions

    base = base or ReviewOptions()
    config = base.config or load_project_config({f.path: f.data for f in tree.config_files})
    if spec.thresholds:
        values = {name: type(getattr(config.thresholds, name))(value)
                  for name, value in spec.thresholds.items()}  # fmt: skip
        config = replace(config, thresholds=replace(config.thresholds, **values))
    policy = SeverityPolicy(spec.severity_policy) if spec.severity_policy else None
    return replace(base, reviewer=spec.reviewer, config=config, finding_policy=policy)
