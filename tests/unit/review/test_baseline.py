"""Baseline marking: new vs existing by fingerprint, and the fixed list."""

from __future__ import annotations

from coderev.domain.findings import FindingStatus
from coderev.review.baseline import mark_findings


def test_marks_by_fingerprint_and_lists_fixed(build) -> None:
    kept = build.finding("S608", line=10, locator="cursor.execute(sql % x)")
    added = build.finding("B006", line=3, locator="def add(items=[]):")
    gone = build.finding("F401", line=1, locator="import os")
    baseline = {kept.fingerprint, gone.fingerprint}

    marked, drift = mark_findings([kept, added], baseline)

    assert [f.status for f in marked] == [FindingStatus.EXISTING, FindingStatus.NEW]
    assert [f.rule_id for f in marked] == ["S608", "B006"]  # order kept
    assert (drift.new, drift.existing) == (1, 1)
    assert drift.fixed == (gone.fingerprint,)


def test_a_finding_that_moved_lines_is_still_existing(build) -> None:
    before = build.finding("S608", line=10, locator="cursor.execute(sql % x)")
    after = build.finding("S608", line=42, locator="cursor.execute(sql % x)")
    marked, drift = mark_findings([after], [before.fingerprint])
    assert marked[0].status is FindingStatus.EXISTING
    assert drift.fixed == ()


def test_empty_baseline_makes_everything_new(build) -> None:
    findings = [build.finding(line=n) for n in range(1, 4)]
    marked, drift = mark_findings(findings, [])
    assert all(f.status is FindingStatus.NEW for f in marked)
    assert (drift.new, drift.existing, drift.fixed) == (3, 0, ())


def test_fixed_is_sorted_and_input_is_not_mutated(build) -> None:
    existing = build.finding(line=1, status=FindingStatus.NEW)
    marked, drift = mark_findings([existing], ["zz", existing.fingerprint, "aa"])
    assert drift.fixed == ("aa", "zz")
    assert existing.status is FindingStatus.NEW and marked[0].status is FindingStatus.EXISTING
