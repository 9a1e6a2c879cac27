"""The severity policy: the tables in docs/severity-policy.md are what the code does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.roles import FileRole
from coderev.rules import default_catalogue
from coderev.rules.catalogue import _BY_RUFF_CATEGORY, _STYLE
from coderev.rules.policy import (
    CATEGORY_CEILING,
    ROLE_ADJUSTMENT,
    UNKNOWN_RULE_CEILING,
    apply_policy,
    severity,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "severity-policy.md"


def _table(heading: str) -> list[list[str]]:
    """The rows (cells stripped of backticks) of the table under `## heading` in the doc."""
    text = DOC.read_text("utf-8")
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[c.strip().replace("`", "") for c in row.strip("|").split("|")] for row in rows[2:]]


def test_category_ceilings_are_the_documented_ones() -> None:
    documented = {Category(c): Severity(s) for c, s in _table("Category ceilings")}
    assert documented == CATEGORY_CEILING


def test_role_adjustments_are_the_documented_ones() -> None:
    rows = _table("File roles")
    assert {FileRole(r) for r, _, _ in rows} == set(FileRole)
    for role, lowered, ceiling in rows:
        adjustment = ROLE_ADJUSTMENT[FileRole(role)]
        assert (adjustment.lower, adjustment.ceiling) == (int(lowered), Severity(ceiling))


def test_the_documented_critical_rules_are_the_only_critical_ones() -> None:
    documented = {rule: title for rule, title in _table("Critical rules")}
    book = default_catalogue()
    critical = {e.id: e.title for e in book if e.severity is Severity.CRITICAL}
    assert documented == {rule_id: title.replace("`", "") for rule_id, title in critical.items()}
    for rule_id in documented:
        assert severity(rule_id, FileRole.SOURCE) is Severity.CRITICAL
        for role in set(FileRole) - {FileRole.SOURCE}:
            level = severity(rule_id, role)
            assert level is None or level.rank < Severity.CRITICAL.rank


def test_unvetted_rules_are_filed_as_documented() -> None:
    for ruff_category, category, level, precision in _table("Rules nobody vetted"):
        expected = _BY_RUFF_CATEGORY.get(ruff_category, _STYLE)
        assert (expected[0].value, expected[1].value, expected[2].value) == (
            category, level, precision,
        )  # fmt: skip
    assert "at most medium" in DOC.read_text("utf-8") and UNKNOWN_RULE_CEILING is Severity.MEDIUM


def test_every_catalogue_rule_in_every_role_follows_the_tables() -> None:
    book = default_catalogue()
    for entry in book:
        for role in FileRole:
            level = severity(entry.id, role, book=book)
            if role in entry.skip_roles:
                assert level is None
                continue
            assert level is not None
            assert level.rank <= CATEGORY_CEILING[entry.category].rank
            assert level.rank <= ROLE_ADJUSTMENT[role].ceiling.rank
            if level is Severity.CRITICAL:
                assert entry.category is Category.SECURITY and role is FileRole.SOURCE


@pytest.mark.parametrize(
    ("rule_id", "role", "expected"),
    [("S608", FileRole.SOURCE, Severity.HIGH), ("S608", FileRole.EXAMPLE, Severity.MEDIUM),
     ("S608", FileRole.TEST, None),
     ("S113", FileRole.SOURCE, Severity.MEDIUM), ("S113", FileRole.TEST, None),
     ("S105", FileRole.TEST, None), ("S101", FileRole.TEST, None), ("S311", FileRole.TEST, None),
     ("PLE0704", FileRole.SOURCE, Severity.LOW), ("F821", FileRole.GENERATED, Severity.LOW),
     ("F401", FileRole.DOCS, Severity.INFO), ("E501", FileRole.SOURCE, Severity.LOW)],
)
def test_the_documented_examples(rule_id: str, role: FileRole, expected: Severity | None) -> None:
    assert severity(rule_id, role) is expected


def _metric(rule_id: str, graded: Severity, role: FileRole = FileRole.SOURCE) -> Finding:
    return Finding(
        rule_id=rule_id, severity=graded, category=Category.MAINTAINABILITY, path="m.py", line=1,
        message="m", fix_hint="", fingerprint=fingerprint(rule_id, "m.py", "f"), role=role,
    )  # fmt: skip


def test_metric_findings_are_never_above_medium() -> None:
    graded = [_metric(f"CR-MET-00{n}", s) for n in range(1, 6) for s in Severity]
    for f in apply_policy(graded):
        cap = Severity.LOW if f.rule_id == "CR-MET-005" else Severity.MEDIUM
        assert f.severity.rank <= cap.rank, f
    # a grading below the ceiling is kept: the policy caps, it does not inflate
    [low] = apply_policy([_metric("CR-MET-001", Severity.LOW)])
    assert low.severity is Severity.LOW


def test_apply_policy_drops_meaningless_findings_and_files_by_the_catalogue() -> None:
    def finding(rule_id: str, role: FileRole) -> Finding:
        return Finding(
            rule_id=rule_id, severity=Severity.HIGH, category=Category.SECURITY, path="t.py",
            line=1, message="m", fix_hint="", fingerprint=fingerprint(rule_id, "t.py", role),
            role=role,
        )  # fmt: skip

    kept = apply_policy(
        [finding("S113", FileRole.TEST), finding("S113", FileRole.SOURCE),
         finding("NEW999", FileRole.SOURCE)]
    )  # fmt: skip
    assert [(f.rule_id, f.role, f.severity, f.category) for f in kept] == [
        ("S113", FileRole.SOURCE, Severity.MEDIUM, Category.BUG_RISK),
        ("NEW999", FileRole.SOURCE, Severity.MEDIUM, Category.SECURITY),  # unknown: capped
    ]
    assert re.fullmatch(r"\d+\+ruff-[\d.]+", default_catalogue().version)


def test_the_readme_shows_the_same_role_table() -> None:
    readme = (DOC.parents[1] / "README.md").read_text("utf-8")
    section = readme.split("\n## Severity policy\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "|---" not in line]
    documented = "\n".join(f"| {' | '.join(row)} |" for row in _table("File roles"))
    assert documented in "\n".join(rows)
