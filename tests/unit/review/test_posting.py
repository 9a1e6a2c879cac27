"""The posting bar: what becomes a review comment, and what stays in the report's tables."""

from __future__ import annotations

from coderev.domain.architecture import Cycle
from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole
from coderev.review.offline import OfflineReviewer

MEDIUM, HIGH = Severity.MEDIUM, Severity.HIGH
MAINTAINABILITY = Category.MAINTAINABILITY


def _metric(build, rule_id: str, metric: str, value: int, threshold: int, qualname: str = "run"):
    return build.finding(
        rule_id, path="pkg/mod.py", line=10, severity=MEDIUM, category=MAINTAINABILITY,
        metric=metric, qualname=qualname, value=str(value), threshold=str(threshold),
    )  # fmt: skip


def _posted(build, findings, files=()) -> list[str]:
    review = OfflineReviewer().review(build.subject(findings, files=files))
    return [c.title for c in review.comments]


def test_a_trusted_rule_is_posted_and_an_audit_rule_that_mostly_flags_safe_code_is_not(build):
    swallowed = build.finding("B012", path="pkg/flow.py", severity=HIGH,
                              category=Category.BUG_RISK, message="return in finally")  # fmt: skip
    sql = build.finding("S608", path="pkg/db.py", severity=HIGH, category=Category.SECURITY,
                        message="SQL built from strings")  # fmt: skip
    shell = build.finding("S603", path="pkg/run.py", severity=MEDIUM,
                          category=Category.SECURITY, message="subprocess call")  # fmt: skip
    password = build.finding("S105", path="pkg/cli.py", severity=MEDIUM,
                             category=Category.SECURITY, message="password")  # fmt: skip
    titles = _posted(build, [swallowed, sql, shell, password])
    assert titles == ["B012: return in finally"]


def test_sql_with_a_value_between_single_quotes_is_posted_and_quoted_identifiers_are_not(build):
    value = build.finding("S608", path="pkg/db.py", severity=HIGH, category=Category.SECURITY,
                          message="SQL built from strings")  # fmt: skip
    value.extra["form"] = "value-in-sql-literal"
    identifiers = build.finding("S608", path="pkg/schema.py", severity=HIGH,
                                category=Category.SECURITY, message="identifiers")  # fmt: skip
    assert _posted(build, [value, identifiers]) == ["S608: SQL built from strings"]


def test_style_is_never_posted_and_a_low_finding_of_a_trusted_rule_is_not_either(build):
    style = build.finding("E501", severity=MEDIUM, category=Category.STYLE)
    low = build.finding("S113", path="pkg/http.py", severity=Severity.LOW,
                        category=Category.SECURITY)  # fmt: skip
    assert _posted(build, [style, low]) == []


def test_a_function_is_posted_only_when_it_is_a_hotspot(build):
    fn = build.function("run", 10, 200, complexity=24, parameters=9)
    info = build.file_info("pkg/mod.py", functions=(fn,))
    twice = _metric(build, "CR-MET-001", "complexity", 24, 10)  # 2.4x: not yet a hotspot
    params = _metric(build, "CR-MET-003", "parameters", 9, 6)  # a signature alone: never
    assert _posted(build, [twice, params], files=(info,)) == []
    hot = build.function("run", 10, 200, complexity=25, parameters=9)
    hot_info = build.file_info("pkg/mod.py", functions=(hot,))
    hotspot = _metric(build, "CR-MET-001", "complexity", 25, 10)
    [title] = _posted(build, [hotspot, params], files=(hot_info,))
    assert "`run`" in title and "complexity 25" in title
    assert "parameters" not in title  # a hotspot is not told to change its signature


def test_long_functions_and_deep_nesting_are_hotspots_at_their_own_factors(build):
    fn = build.function("run", 10, 300, complexity=12)
    info = build.file_info("pkg/mod.py", functions=(fn,))
    branches = _metric(build, "CR-MET-001", "complexity", 12, 10)  # past, not a hotspot alone
    long, longer = (_metric(build, "CR-MET-002", "length", n, 60) for n in (119, 120))
    assert _posted(build, [long, branches], (info,)) == []
    assert len(_posted(build, [longer, branches], (info,))) == 1
    assert _posted(build, [_metric(build, "CR-MET-004", "nesting", 5, 4)], (info,)) == []
    assert len(_posted(build, [_metric(build, "CR-MET-004", "nesting", 6, 4)], (info,))) == 1


def test_a_long_function_that_does_not_branch_is_not_posted(build):
    # A test script, a data builder, a class factory: 240 straight lines are not made simpler
    # by splitting them (all nine such comments in the precision corpus were noise).
    fn = build.function("les_miserables_graph", 10, 300, complexity=1)
    info = build.file_info("pkg/mod.py", functions=(fn,))
    straight = _metric(build, "CR-MET-002", "length", 257, 60, "les_miserables_graph")
    assert _posted(build, [straight], (info,)) == []


def test_deep_nesting_is_posted_only_where_guard_clauses_flatten_it(build):
    fn = build.function("run", 10, 80, nesting=6, flat_nesting=4, guard_lines=(143, 155))
    info = build.file_info("pkg/mod.py", functions=(fn,))
    structural = _metric(build, "CR-MET-004", "nesting", 7, 4)
    structural.extra.update(flat_nesting="7", guard_lines="")
    flattenable = _metric(build, "CR-MET-004", "nesting", 6, 4)
    flattenable.extra.update(flat_nesting="4", guard_lines="143,155")
    assert _posted(build, [structural], (info,)) == []
    [comment] = OfflineReviewer().review(build.subject([flattenable], files=(info,))).comments
    assert "turn the `if` on lines 143, 155 into guard clauses" in comment.suggestion
    assert "from 6 to 4" in comment.suggestion


def test_outside_product_code_only_what_stays_high_is_posted(build):
    in_tests = build.finding("S608", path="tests/test_db.py", severity=MEDIUM,
                             category=Category.SECURITY, role=FileRole.TEST)  # fmt: skip
    grave = build.finding("F821", path="tests/test_x.py", severity=HIGH,
                          category=Category.BUG_RISK, role=FileRole.TEST)  # fmt: skip
    assert [t.split(":")[0] for t in _posted(build, [in_tests, grave])] == ["F821"]


def test_contracts_always_and_cycles_only_when_new_against_a_baseline(build):
    from coderev.domain.findings import FindingStatus
    from coderev.domain.report import FindingsDrift

    broken = build.finding("CR-ARCH-001", path="pkg/a.py", severity=HIGH,
                           category=Category.ARCHITECTURE, message="contract broken")  # fmt: skip
    cycle = build.finding("CR-ARCH-002", path="pkg/b.py", severity=MEDIUM,
                          category=Category.ARCHITECTURE, message="import cycle")  # fmt: skip
    noise = [build.finding("E501", line=n, severity=Severity.LOW) for n in range(1, 4)]
    arch = build.architecture(cycles=(Cycle(("pkg.a", "pkg.b"), ("pkg.a", "pkg.b", "pkg.a")),))
    review = OfflineReviewer().review(build.subject([broken, cycle, *noise], architecture=arch))
    assert [c.path for c in review.comments] == ["pkg/a.py"]  # the cycle the code had: listed
    assert "4 findings below the bar for a review comment" in review.summary
    drift = FindingsDrift(new=1, existing=0, fixed=())
    with_baseline = build.subject([broken, cycle], architecture=arch, findings_drift=drift)
    assert len(OfflineReviewer().review(with_baseline).comments) == 2  # a new cycle: posted
    old = build.subject([broken, cycle.with_status(FindingStatus.EXISTING)],
                        architecture=arch, findings_drift=drift)  # fmt: skip
    assert len(OfflineReviewer().review(old).comments) == 1


def test_a_function_far_past_its_thresholds_ranks_before_any_rule_of_its_severity(build):
    fn = build.function("run", 10, 300, complexity=45)
    info = build.file_info("pkg/mod.py", functions=(fn,))
    hot = _metric(build, "CR-MET-001", "complexity", 45, 10)  # 4.5x: far past
    loop = build.finding("B020", path="pkg/loop.py", severity=MEDIUM,
                         category=Category.BUG_RISK, message="loop variable")  # fmt: skip
    titles = _posted(build, [loop, hot], files=(info,))
    assert titles[0].startswith("`run`") and titles[1].startswith("B020")
    mild = build.function("run", 10, 300, complexity=30)
    mild_info = build.file_info("pkg/mod.py", functions=(mild,))
    titles = _posted(build, [loop, _metric(build, "CR-MET-001", "complexity", 30, 10)],
                     files=(mild_info,))  # fmt: skip
    assert titles[0].startswith("B020")  # 3x: a hotspot, but a very-high-precision rule first
