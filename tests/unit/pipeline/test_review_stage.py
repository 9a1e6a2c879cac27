"""review_stage, shared by the direct engine and the platform's Review step, applies the
severity policy once: what it returns, the review's comments and the gate all see it."""

from __future__ import annotations

import inspect

from coderev.domain.architecture import ArchitectureResult
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.roles import FileRole
from coderev.pipeline import run, steps
from coderev.pipeline.run import review_stage


def _finding(rule_id: str, role: FileRole, severity: Severity = Severity.HIGH) -> Finding:
    path = "tests/test_api.py" if role is FileRole.TEST else "src/api.py"
    return Finding(
        rule_id=rule_id, severity=severity, category=Category.SECURITY, path=path, line=3,
        message=rule_id, fix_hint="", fingerprint=fingerprint(rule_id, path, "x"), role=role,
    )  # fmt: skip


def test_the_review_stage_applies_the_policy() -> None:
    empty = ArchitectureResult((), (), (), (), (), ())
    reviewed = review_stage(
        "repo", (),
        [_finding("S113", FileRole.TEST), _finding("S113", FileRole.SOURCE),
         _finding("S608", FileRole.TEST), _finding("CR-MET-001", FileRole.SOURCE,
                                                   Severity.CRITICAL)],
        empty, None, "offline",
    )  # fmt: skip
    got = {(f.rule_id, f.role): (f.severity, f.category) for f in reviewed.findings}
    assert got == {
        ("S113", FileRole.SOURCE): (Severity.MEDIUM, Category.BUG_RISK),
        ("CR-MET-001", FileRole.SOURCE): (Severity.MEDIUM, Category.MAINTAINABILITY),
    }
    assert {c.severity for c in reviewed.review.comments} <= {Severity.MEDIUM}


def test_both_engines_go_through_the_review_stage() -> None:
    assert "review_stage(" in inspect.getsource(run.run_review)
    assert "review_stage(" in inspect.getsource(steps.review)
