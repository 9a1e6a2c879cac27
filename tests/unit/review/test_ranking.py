"""Ranking: severity, category weight, new before existing, hot spots; and the caps."""

from __future__ import annotations

from coderev.domain.findings import Category, FindingStatus, Severity
from coderev.domain.review import ReviewComment
from coderev.review.ranking import cap_comments, hot_spots, rank_comments, sort_findings


def _comment(
    path: str, line: int, severity: Severity, category: Category, *fps: str
) -> ReviewComment:
    return ReviewComment(
        path=path, line=line, severity=severity, category=category, title=f"{path}:{line}",
        why="w", suggestion="s", fingerprints=fps,
    )


def test_sort_findings_severity_then_category_then_place(build) -> None:
    f = build.finding
    findings = [
        f("E501", path="b.py", line=1, severity=Severity.LOW),
        f("S608", path="z.py", line=9, severity=Severity.HIGH, category=Category.SECURITY),
        f("CR-MET-001", path="a.py", line=5, severity=Severity.HIGH,
          category=Category.MAINTAINABILITY),
        f("E501", path="a.py", line=2, severity=Severity.LOW),
        f("S1", path="c.py", line=1, severity=Severity.CRITICAL, category=Category.SECURITY),
    ]
    ordered = [(x.rule_id, x.path, x.line) for x in sort_findings(findings)]
    assert ordered == [
        ("S1", "c.py", 1), ("S608", "z.py", 9), ("CR-MET-001", "a.py", 5),
        ("E501", "a.py", 2), ("E501", "b.py", 1),
    ]


def test_severity_beats_category_and_category_weights_are_ordered() -> None:
    comments = [
        _comment("a.py", 1, Severity.MEDIUM, Category.STYLE),
        _comment("a.py", 2, Severity.MEDIUM, Category.MAINTAINABILITY),
        _comment("a.py", 3, Severity.MEDIUM, Category.ARCHITECTURE),
        _comment("a.py", 4, Severity.MEDIUM, Category.BUG_RISK),
        _comment("a.py", 5, Severity.MEDIUM, Category.SECURITY),
        _comment("a.py", 6, Severity.HIGH, Category.STYLE),
    ]
    ranked = rank_comments(comments, findings=[])
    assert [c.line for c in ranked] == [6, 5, 4, 3, 2, 1]


def test_new_before_existing_at_equal_severity_and_category(build) -> None:
    old = build.finding("B006", path="a.py", line=1, status=FindingStatus.EXISTING)
    new = build.finding("B006", path="z.py", line=1, status=FindingStatus.NEW)
    comments = [
        _comment("a.py", 1, Severity.MEDIUM, Category.BUG_RISK, old.fingerprint),
        _comment("z.py", 1, Severity.MEDIUM, Category.BUG_RISK, new.fingerprint),
    ]
    ranked = rank_comments(comments, [old, new])
    assert [c.path for c in ranked] == ["z.py", "a.py"]


def test_hot_spots_first_more_findings_then_more_complexity(build) -> None:
    findings = [
        build.finding(path="busy.py", line=n) for n in range(1, 4)
    ] + [build.finding(path="quiet.py", line=1), build.finding(path="complex.py", line=1)]
    files = [
        build.file_info("quiet.py", complexity=3), build.file_info("complex.py", complexity=40)
    ]
    heat = hot_spots(findings, files)
    assert heat["busy.py"].findings == 3 and heat["complex.py"].complexity == 40
    comments = [
        _comment(p, 1, Severity.LOW, Category.STYLE) for p in ("quiet.py", "complex.py", "busy.py")
    ]
    ranked = rank_comments(comments, findings, files)
    assert [c.path for c in ranked] == ["busy.py", "complex.py", "quiet.py"]


def test_per_file_cap_then_overall_cap_with_dropped_count() -> None:
    ranked = [_comment("a.py", n, Severity.HIGH, Category.SECURITY) for n in range(1, 8)]
    ranked += [_comment("b.py", n, Severity.LOW, Category.STYLE) for n in range(1, 4)]
    kept, dropped = cap_comments(ranked, max_per_file=5, max_total=25)
    assert [(c.path, c.line) for c in kept] == [("a.py", n) for n in range(1, 6)] + [
        ("b.py", n) for n in range(1, 4)
    ]
    assert dropped == 2
    kept, dropped = cap_comments(ranked, max_per_file=5, max_total=6)
    assert len(kept) == 6 and kept[-1].path == "b.py" and dropped == 4
