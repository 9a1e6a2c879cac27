"""Roles in the review: product code ranked before tests, tests kept out of the top risks
while the product has findings, and the gate counting source findings unless configured."""

from __future__ import annotations

from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole
from coderev.review.gate import evaluate_gate, parse_gate
from coderev.review.offline import OfflineReviewer
from coderev.review.posting import post_everything
from coderev.review.ranking import rank_comments, sort_findings, top_risks


def posting_all(**options: int) -> OfflineReviewer:
    """The offline reviewer posting every group: these tests read every comment's text."""
    return OfflineReviewer(posting=post_everything, **options)


TEST, SOURCE = FileRole.TEST, FileRole.SOURCE
HIGH, SECURITY = Severity.HIGH, Category.SECURITY


def test_source_findings_sort_before_graver_test_findings(build) -> None:
    f = build.finding
    findings = [
        f("S105", path="tests/test_a.py", severity=Severity.CRITICAL, category=SECURITY,
          role=TEST),
        f("E501", path="src/b.py", severity=Severity.LOW),
        f("S608", path="src/a.py", severity=HIGH, category=SECURITY),
        f("S113", path="docs/conf.py", severity=Severity.MEDIUM, role=FileRole.DOCS),
    ]
    assert [x.path for x in sort_findings(findings)] == [
        "src/a.py", "src/b.py", "tests/test_a.py", "docs/conf.py",
    ]


def _review(build, findings):  # type: ignore[no-untyped-def]
    files = tuple(build.file_info(x.path, role=x.role) for x in findings)
    return posting_all().review(build.subject(findings, files=files))


def test_comments_carry_their_files_role_and_rank_source_first(build) -> None:
    f = build.finding
    findings = [
        f("S105", path="tests/test_a.py", severity=Severity.CRITICAL, category=SECURITY,
          role=TEST),
        f("B006", path="src/a.py", severity=Severity.MEDIUM, category=Category.BUG_RISK),
    ]
    review = _review(build, findings)
    assert [(c.path, c.role) for c in review.comments] == [
        ("src/a.py", SOURCE), ("tests/test_a.py", TEST),
    ]
    ranked = rank_comments(reversed(review.comments), findings)
    assert [c.role for c in ranked] == [SOURCE, TEST]


def test_tests_never_appear_among_top_risks_while_source_has_findings(build) -> None:
    f = build.finding
    findings = [
        f("S105", path=f"tests/test_{i}.py", severity=Severity.CRITICAL, category=SECURITY,
          role=TEST)
        for i in range(6)
    ] + [f("E501", path="src/a.py", severity=Severity.LOW)]
    review = _review(build, findings)
    risks = review.summary.split("### Top risks\n")[1].split("###")[0]
    assert "src/a.py" in risks and "tests/" not in risks
    assert (
        "Product code: 1 file, 1 finding; tests, examples and other non-source code (6 test): "
        "6 findings, ranked after the product's."
    ) in review.summary
    assert [c.role for c in top_risks(review.comments, 5)] == [SOURCE]


def test_with_no_source_findings_the_top_risks_are_the_rest_and_say_so(build) -> None:
    f = build.finding
    findings = [
        f("S105", path="tests/test_a.py", severity=HIGH, category=SECURITY, role=TEST),
    ]
    review = _review(build, findings)
    risks = review.summary.split("### Top risks\n")[1]
    assert risks.startswith("1. **high** security (test): S105")


def test_the_gate_counts_source_findings_unless_told_other_roles(build) -> None:
    f = build.finding
    findings = [
        f("S105", path="tests/test_a.py", severity=HIGH, category=SECURITY, role=TEST),
        f("S105", path="tests/test_b.py", severity=HIGH, category=SECURITY, role=TEST),
        f("S113", path="src/a.py", severity=Severity.MEDIUM, category=SECURITY),
        f("CR-ARCH-002", path="tests/test_a.py", category=Category.ARCHITECTURE, role=TEST),
    ]
    high = parse_gate("high,architecture")
    default = evaluate_gate(high, findings)
    assert default.passed and default.roles == (SOURCE,)
    both = evaluate_gate(high, findings, roles=(SOURCE, TEST))
    assert not both.passed and both.roles == (SOURCE, TEST)
    assert both.reasons == (
        "2 findings at or above high (S105 x2)",
        "1 architecture finding (CR-ARCH-002 x1)",
    )
    medium = evaluate_gate(parse_gate("medium"), findings)
    assert medium.reasons == ("1 finding at or above medium (S113 x1)",)
    only_tests = evaluate_gate(parse_gate("medium"), findings, roles=(TEST,))
    assert only_tests.reasons == ("2 findings at or above medium (S105 x2)",)


def test_a_review_of_product_code_only_does_not_split_by_role(build) -> None:
    review = _review(build, [build.finding("E501", path="src/a.py")])
    assert "Product code" not in review.summary and "non-source" not in review.summary
