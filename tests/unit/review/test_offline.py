"""The offline reviewer: comments a person would want, deduplicated, ranked, capped, summarised."""

from __future__ import annotations

from coderev.domain.architecture import (
    ArchitectureDrift,
    ContractViolation,
    Cycle,
    ModuleNode,
    PackageMetrics,
)
from coderev.domain.findings import Category, FindingStatus, Severity
from coderev.domain.report import FindingsDrift
from coderev.review.offline import OfflineReviewer
from coderev.review.posting import post_everything


def posting_all(**options: int) -> OfflineReviewer:
    """The offline reviewer posting every group: these tests read every comment's text."""
    return OfflineReviewer(posting=post_everything, **options)


PRICING = "shop/services/pricing.py"


def _pricing(build):
    """compute_price flagged four ways, plus an unrelated function in the same file."""
    fn = build.function("compute_price", 10, 94, complexity=14, parameters=8, nesting=5)
    other = build.function("legacy_price", 100, 110)
    info = build.file_info(PRICING, complexity=20, functions=(fn, other))
    met = dict(path=PRICING, severity=Severity.MEDIUM, category=Category.MAINTAINABILITY)
    messages = {
        "CR-MET-001": "compute_price has cyclomatic complexity 14 (max 10)",
        "CR-MET-002": "compute_price is 85 lines long (max 60)",
        "CR-MET-003": "compute_price takes 8 parameters (max 6)",
        "CR-MET-004": "compute_price nests blocks 5 deep (max 4)",
    }
    findings = [build.finding(rule, line=10, message=m, **met) for rule, m in messages.items()]
    return findings, info


def test_a_functions_metric_findings_become_one_comment_naming_it(build) -> None:
    findings, info = _pricing(build)
    review = posting_all().review(build.subject(findings, files=(info,)))

    assert len(review.comments) == 1
    c = review.comments[0]
    assert c.path == PRICING and c.line == 10
    assert set(c.fingerprints) == {f.fingerprint for f in findings}
    assert "`compute_price`" in c.title
    for measured in ("complexity 14", "85 logical lines", "nesting depth 5"):
        assert measured in c.title
    assert "compute_price" in c.why and "compute_price" in c.suggestion
    # one concrete step per problem: split branches, guard clauses; a function commented on
    # for its size is not told to change its signature (often a public API)
    assert "extract" in c.suggestion and "guard clauses" in c.suggestion
    assert "parameters" not in c.title and "dataclass" not in c.suggestion


def test_keyword_only_advice_only_for_optional_parameters_passed_by_position(build) -> None:
    def comment(optional_positional: int) -> str:
        fn = build.function("Client.send", 10, 20, parameters=8,
                            optional_positional=optional_positional)
        info = build.file_info("pkg/client.py", functions=(fn,))
        finding = build.finding("CR-MET-003", path="pkg/client.py", line=10,
                                category=Category.MAINTAINABILITY, parameters="8",
                                metric="parameters", qualname="Client.send")
        c = posting_all().review(build.subject([finding], files=(info,))).comments[0]
        return c.why + " " + c.suggestion

    positional = comment(optional_positional=3)
    assert "keyword-only" in positional and "3 optional positional" in positional
    # all optional ones keyword-only already, or none optional: the advice does not apply
    assert "keyword-only" not in comment(optional_positional=0)
    assert "dataclass" in comment(optional_positional=0)


def test_metric_finding_is_matched_to_its_function_by_line_or_by_name(build) -> None:
    fn = build.function("Cart.total", 20, 40, complexity=12)
    info = build.file_info("shop/cart.py", functions=(fn,))
    by_line = build.finding("CR-MET-001", path="shop/cart.py", line=25,
                            message="cyclomatic complexity 12", category=Category.MAINTAINABILITY)
    by_name = build.finding("CR-MET-004", path="shop/cart.py", line=1, message="nesting 5",
                            category=Category.MAINTAINABILITY, qualname="Cart.total")
    review = posting_all().review(build.subject([by_line, by_name], files=(info,)))
    assert len(review.comments) == 1
    assert "`Cart.total`" in review.comments[0].title


def test_unrecognised_metric_still_names_the_function(build) -> None:
    fn = build.function("parse", 1, 30)
    info = build.file_info("pkg/mod.py", functions=(fn,))
    odd = build.finding("CR-MET-009", line=5, message="parse is odd",
                        category=Category.MAINTAINABILITY)
    comment = posting_all().review(build.subject([odd], files=(info,))).comments[0]
    assert "`parse`" in comment.title and "`parse`" in comment.suggestion
    assert "{" not in comment.why + comment.suggestion


def test_repeated_rule_in_one_file_is_one_comment_listing_the_lines(build) -> None:
    findings = [build.finding("E501", path="pkg/mod.py", line=n, message="Line too long")
                for n in range(1, 31)]
    findings.append(build.finding("E501", path="pkg/other.py", line=3))
    review = posting_all().review(build.subject(findings))

    by_path = {c.path: c for c in review.comments}
    assert set(by_path) == {"pkg/mod.py", "pkg/other.py"}
    mod = by_path["pkg/mod.py"]
    assert len(mod.fingerprints) == 30
    assert "x30" in mod.title and "lines 1, 2, 3" in mod.title and "more" in mod.title
    assert review.truncated == 0


def test_rule_comment_names_the_enclosing_function_and_says_its_advice_once(build) -> None:
    fn = build.function("find_orders_by_customer", 5, 15)
    info = build.file_info("shop/db.py", functions=(fn,))
    sql = build.finding(
        "S608", path="shop/db.py", line=9, severity=Severity.HIGH, category=Category.SECURITY,
        message="Possible SQL injection vector through string-based query construction",
        fix_hint="Pass values as query parameters",
    )
    review = posting_all().review(build.subject([sql], files=(info,)))
    c = review.comments[0]
    assert c.title.startswith("S608: Possible SQL injection")
    assert "`find_orders_by_customer`" in c.suggestion and "bound parameters" in c.suggestion
    assert "query parameters" not in c.suggestion  # the tool's hint would say it a second time
    assert "SQL" in c.why or "query" in c.why


def test_architecture_comments_name_the_import_edge(build) -> None:
    violation = build.finding(
        "CR-ARCH-001", path="shop/domain/models.py", line=3, severity=Severity.HIGH,
        category=Category.ARCHITECTURE, message="shop.domain.models imports shop.api.schemas",
        fix_hint="Remove the import of shop.api.schemas from shop.domain.models (line 3).",
        chain="shop.domain.models -> shop.api.schemas", contracts="'layers' (layers)",
    )
    cycle = build.finding(
        "CR-ARCH-002", path="shop/services/orders.py", line=2, severity=Severity.MEDIUM,
        category=Category.ARCHITECTURE,
        message="import cycle of 2 modules: shop.services.orders -> shop.services.inventory "
                "-> shop.services.orders",
        fix_hint="Cut the import of shop.services.orders in shop.services.inventory.",
    )
    review = posting_all().review(build.subject([cycle, violation]))
    first, second = review.comments
    assert first.title == (
        "Contract 'layers' (layers) broken: shop.domain.models -> shop.api.schemas"
    )
    assert "shop.api.schemas" in first.suggestion and "contract" in first.why
    assert second.title.startswith("Import cycle of 2 modules")
    assert "Cut the import" in second.suggestion


def test_comments_are_ranked_by_severity_then_rule_precision_then_category(build) -> None:
    findings, info = _pricing(build)
    findings += [
        build.finding("E501", path="a.py", line=1, severity=Severity.MEDIUM),
        build.finding("B006", path="b.py", line=1, severity=Severity.MEDIUM,
                      category=Category.BUG_RISK, status=FindingStatus.EXISTING),
        build.finding("B008", path="c.py", line=1, severity=Severity.MEDIUM,
                      category=Category.BUG_RISK),
        build.finding("S105", path="d.py", line=1, severity=Severity.MEDIUM,
                      category=Category.SECURITY, status=FindingStatus.EXISTING),
        build.finding("F821", path="e.py", line=1, severity=Severity.HIGH,
                      category=Category.BUG_RISK),
    ]
    review = posting_all().review(build.subject(findings, files=(info,)))
    order = [c.path for c in review.comments]
    # high first; among the mediums, the rules most often right first (B006 and E501: high
    # precision; B008 and the metrics: medium... S105: low), then security > bug-risk > ...
    precision = {"e.py": "F821", "b.py": "B006", "c.py": "B008", "d.py": "S105", "a.py": "E501"}
    assert order[0] == "e.py"
    assert order.index("b.py") < order.index("c.py") < order.index("d.py")
    assert order.index("b.py") < order.index("a.py")  # same precision: bug-risk before style
    assert set(order) == {*precision, PRICING}


def test_per_file_and_overall_caps_record_what_was_dropped(build) -> None:
    many_rules = [build.finding(f"E{100 + n}", path="big.py", line=n) for n in range(8)]
    spread = [build.finding("W291", path=f"f{n}.py", line=1) for n in range(3)]
    review = posting_all().review(build.subject(many_rules + spread))
    assert sum(c.path == "big.py" for c in review.comments) == 5
    assert len(review.comments) == 8 and review.truncated == 3

    tight = posting_all(max_per_file=2, max_total=4).review(build.subject(many_rules + spread))
    assert len(tight.comments) == 4 and tight.truncated == 7


def test_a_rule_found_in_many_files_is_one_comment_naming_every_place(build) -> None:
    spread = [build.finding("S608", path=f"pkg/db{n}.py", line=n + 1, severity=Severity.HIGH,
                            category=Category.SECURITY) for n in range(5)]  # fmt: skip
    spread.append(build.finding("S608", path="pkg/db0.py", line=40, severity=Severity.HIGH,
                                category=Category.SECURITY))  # fmt: skip
    [comment] = posting_all().review(build.subject(spread)).comments
    assert comment.title.startswith("S608 in 5 files (6 places)")
    assert (comment.path, comment.line) == ("pkg/db0.py", 1)  # the file with most places
    assert "pkg/db0.py (lines 1, 40); pkg/db1.py (line 2)" in comment.suggestion
    assert len(comment.fingerprints) == 6
    few = posting_all().review(build.subject(spread[:3])).comments
    assert len(few) == 3  # three files: three local comments


def test_summary_reports_counts_top_risks_and_no_architecture_issues(build) -> None:
    findings, info = _pricing(build)
    findings.append(build.finding("S608", path="shop/db.py", line=4, severity=Severity.HIGH,
                                  category=Category.SECURITY, message="SQL injection"))
    review = posting_all().review(build.subject(findings, files=(info,)))
    summary = review.summary
    assert "pkg-1.0" in summary and "1 file" in summary and "5 findings" in summary
    assert "1 high, 4 medium" in summary
    assert "1. **high** security: S608: SQL injection" in summary
    assert "no architecture issues" in summary.lower()
    assert "baseline" not in summary.lower()


def test_summary_names_cycles_violations_and_packages_far_from_the_main_sequence(build) -> None:
    arch = build.architecture(
        modules=(
            ModuleNode("shop.a", "shop/a.py", False), ModuleNode("shop.b", "shop/b.py", False)
        ),
        cycles=(Cycle(modules=("shop.a", "shop.b"), path=("shop.a", "shop.b", "shop.a")),),
        violations=(ContractViolation(
            contract="layers", contract_type="layers", importer="shop.domain",
            imported="shop.api", chain=("shop.domain", "shop.api"), path="shop/domain.py",
            line=3, message="m"),),
        package_metrics=(
            PackageMetrics("shop.core", 5, 0, 0.0, 0.0, 1.0, 3, 4, 0),
            PackageMetrics("shop.api", 0, 4, 1.0, 0.0, 0.0, 2, 1, 0),
            PackageMetrics("shop.util", 2, 2, 0.5, 0.1, 0.4, 2, 1, 0),
        ),
    )
    summary = posting_all().review(build.subject(architecture=arch)).summary
    assert "1 import cycle: shop.a -> shop.b -> shop.a" in summary
    assert "1 contract violation: shop.domain -> shop.api (contract 'layers')" in summary
    assert "no architecture issues" not in summary.lower()
    assert "`shop.core` D=1.00" in summary and "`shop.util` D=0.40" in summary
    assert "`shop.api` D=" not in summary  # on the main sequence
    assert "No findings." in summary


def test_summary_with_a_baseline_counts_new_existing_and_fixed(build) -> None:
    findings = [
        build.finding("E501", line=1, status=FindingStatus.NEW),
        build.finding("E501", line=2, status=FindingStatus.EXISTING),
        build.finding("E501", line=3, status=FindingStatus.EXISTING),
    ]
    drift = ArchitectureDrift(new_imports=(("pkg.a", "pkg.b"),), removed_imports=(),
                              new_cycles=(), new_violations=(), packages=())
    subject = build.subject(findings, architecture_drift=drift,
                            findings_drift=FindingsDrift(new=1, existing=2, fixed=("x", "y")))
    summary = posting_all().review(subject).summary
    assert "1 new, 2 existing, 2 fixed" in summary
    assert "1 new internal import" in summary


def test_no_findings_is_an_empty_but_useful_review(build) -> None:
    review = posting_all().review(build.subject())
    assert review.reviewer == "offline"
    assert review.comments == () and review.truncated == 0
    assert "0 findings" in review.summary and "No findings." in review.summary
