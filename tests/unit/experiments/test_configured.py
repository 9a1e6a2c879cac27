"""A review configuration decides what a review reports: its thresholds and severity policy
change the findings of a real run_review."""

from __future__ import annotations

from pathlib import Path

from coderev.analysis.archive import read_source
from coderev.experiments.configured import SeverityPolicy, review_options
from coderev.experiments.model import ConfigurationSpec
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review

BRANCHY = (
    "def pick(a, b):\n    if a:\n        return 1\n    elif b:\n        return 2\n    return 3\n"
)


def _rules(tmp_path: Path, spec: ConfigurationSpec) -> set[str]:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "pick.py").write_text(BRANCHY)
    tree = read_source(tmp_path / "src")
    result = run_review(tree, review_options(spec, tree, ReviewOptions(jobs=1)))
    return {f.rule_id for f in result.findings}


def test_thresholds_and_the_severity_policy_change_the_findings(tmp_path: Path) -> None:
    assert "CR-MET-001" not in _rules(tmp_path, ConfigurationSpec())
    tight = ConfigurationSpec(thresholds={"max_complexity": 1})
    assert "CR-MET-001" in _rules(tmp_path, tight)
    off = ConfigurationSpec(thresholds={"max_complexity": 1},
                            severity_policy={"rules": {"CR-MET-001": "off"}})  # fmt: skip
    assert "CR-MET-001" not in _rules(tmp_path, off)
    high = ConfigurationSpec(thresholds={"max_complexity": 1},
                             severity_policy={"min_severity": "critical"})  # fmt: skip
    assert _rules(tmp_path, high) == set()


def test_a_rule_can_be_regraded() -> None:
    from coderev.domain.findings import Category, Finding, Severity

    finding = Finding("S101", Severity.LOW, Category.STYLE, "a.py", 1, "assert", "", "fp")
    [regraded] = SeverityPolicy({"rules": {"S101": "high"}})([finding])
    assert regraded.severity is Severity.HIGH
    assert SeverityPolicy({"min_severity": "medium"})([finding]) == []
