"""threshold_findings: coderev's metric rules fire only past their thresholds, scaled by how far."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from coderev.analysis.thresholds import threshold_findings
from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Severity
from coderev.domain.metrics import FileMetrics, FunctionMetrics

LINES = ["class Shop:", "    def checkout(self, a, b):", "        pass"]


def fn(**overrides: Any) -> FunctionMetrics:
    base = FunctionMetrics(
        name="checkout", qualname="Shop.checkout", line=2, end_line=3, complexity=1,
        length=2, parameters=3, nesting=0, is_method=True,
    )  # fmt: skip
    return replace(base, **overrides)


def metrics(*functions: FunctionMetrics, mi: float = 80.0) -> FileMetrics:
    return FileMetrics(
        loc=3, sloc=3, lloc=3, comments=0, multi=0, blank=0, maintainability_index=mi,
        complexity=1, functions=functions,
    )  # fmt: skip


def test_values_at_the_threshold_are_fine() -> None:
    t = Thresholds()
    at = fn(complexity=t.max_complexity, length=t.max_function_length,
            parameters=t.max_parameters, nesting=t.max_nesting)  # fmt: skip
    assert threshold_findings("a.py", LINES, metrics(at, mi=t.min_maintainability), t) == []


def test_each_metric_past_its_threshold_has_its_rule() -> None:
    t = Thresholds()
    over = fn(complexity=11, length=61, parameters=7, nesting=5)
    findings = threshold_findings("a.py", LINES, metrics(over, mi=19.0), t)
    assert sorted(f.rule_id for f in findings) == [
        "CR-MET-001", "CR-MET-002", "CR-MET-003", "CR-MET-004", "CR-MET-005",
    ]  # fmt: skip
    assert all(f.category is Category.MAINTAINABILITY for f in findings)
    complexity = next(f for f in findings if f.rule_id == "CR-MET-001")
    assert complexity.message == "method Shop.checkout has cyclomatic complexity 11 (threshold 10)"
    assert "Shop.checkout" in complexity.fix_hint and "lookup table" in complexity.fix_hint
    assert (complexity.line, complexity.column, complexity.end_line) == (2, 4, 3)
    assert complexity.extra["metric"] == "complexity"


def test_severity_grows_with_distance_past_the_threshold() -> None:
    t = Thresholds()
    sev = {
        c: threshold_findings("a.py", LINES, metrics(fn(complexity=c)), t)[0].severity
        for c in (11, 20, 21, 40, 41)
    }
    assert sev == {
        11: Severity.MEDIUM, 20: Severity.MEDIUM, 21: Severity.HIGH, 40: Severity.HIGH,
        41: Severity.CRITICAL,
    }  # fmt: skip
    low_mi = threshold_findings("a.py", LINES, metrics(mi=5.0), t)[0]
    zero_mi = threshold_findings("a.py", LINES, metrics(mi=0.0), t)[0]
    assert (low_mi.severity, zero_mi.severity) == (Severity.HIGH, Severity.CRITICAL)


def test_custom_thresholds_are_respected() -> None:
    strict = Thresholds(max_complexity=3)
    assert [
        f.rule_id for f in threshold_findings("a.py", LINES, metrics(fn(complexity=4)), strict)
    ] == ["CR-MET-001"]
    assert threshold_findings("a.py", LINES, metrics(fn(complexity=4)), Thresholds()) == []


def test_fingerprint_follows_the_function_not_its_line() -> None:
    t = Thresholds()
    here = threshold_findings("a.py", LINES, metrics(fn(complexity=15)), t)[0]
    moved = threshold_findings("a.py", LINES, metrics(fn(complexity=15, line=40, end_line=41)), t)[
        0
    ]
    other = threshold_findings("a.py", LINES, metrics(fn(complexity=15, qualname="Shop.pay")), t)[0]
    assert here.fingerprint == moved.fingerprint != other.fingerprint


def test_maintainability_advice_follows_where_the_low_index_comes_from() -> None:
    t = Thresholds()
    complex_file = metrics(fn(complexity=15), fn(qualname="Shop.small", complexity=2), mi=10.0)
    [hint] = [
        f.fix_hint for f in threshold_findings("a.py", LINES, complex_file, t)
        if f.rule_id == "CR-MET-005"
    ]
    assert "starting with Shop.checkout (complexity 15)" in hint

    # only simple functions: the size is the cause; no "reduce complexity", no "add comments"
    big_simple_file = metrics(fn(complexity=3), mi=10.0)
    [hint] = [f.fix_hint for f in threshold_findings("a.py", LINES, big_simple_file, t)]
    assert "No function here is past the complexity threshold" in hint
    assert "complex functions" not in hint and "comment" not in hint.lower()
