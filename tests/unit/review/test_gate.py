"""The quality gate: every --fail-on form, combinations, and invalid specs."""

from __future__ import annotations

import pytest

from coderev.domain.architecture import ContractWarning, UnsupportedContract
from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category, FindingStatus, Severity
from coderev.review.gate import evaluate_gate, parse_gate

NEW, EXISTING = FindingStatus.NEW, FindingStatus.EXISTING


@pytest.fixture
def findings(build):
    f = build.finding
    return [
        f("S608", line=1, severity=Severity.HIGH, category=Category.SECURITY, status=EXISTING),
        f("S608", line=2, severity=Severity.HIGH, category=Category.SECURITY, status=NEW),
        f("CR-MET-001", line=3, severity=Severity.HIGH, category=Category.MAINTAINABILITY,
          status=EXISTING),
        f("B006", line=4, severity=Severity.MEDIUM, category=Category.BUG_RISK, status=NEW),
        f("E501", line=5, severity=Severity.LOW, status=NEW),
    ]


def test_high_counts_findings_at_or_above_high_and_names_rules(findings) -> None:
    outcome = evaluate_gate(parse_gate("high"), findings)
    assert not outcome.passed
    assert outcome.spec == "high"
    assert outcome.reasons == ("3 findings at or above high (S608 x2, CR-MET-001 x1)",)


def test_new_high_ignores_existing_findings(findings) -> None:
    outcome = evaluate_gate(parse_gate("new-high"), findings)
    assert outcome.reasons == ("1 new finding at or above high (S608 x1)",)
    existing_only = [f for f in findings if f.status is EXISTING]
    assert evaluate_gate(parse_gate("new-high"), existing_only).passed


@pytest.mark.parametrize(
    ("spec", "count"),
    [("critical", 0), ("high", 3), ("medium", 4), ("low", 5), ("info", 5), ("any", 5),
     ("new-medium", 2), ("new-any", 3), ("new-critical", 0)],
)
def test_each_severity_form(findings, spec: str, count: int) -> None:
    outcome = evaluate_gate(parse_gate(spec), findings)
    assert outcome.passed is (count == 0)
    if count:
        assert outcome.reasons[0].startswith(f"{count} ")


def test_any_counts_every_severity(build) -> None:
    outcome = evaluate_gate(parse_gate("any"), [build.finding("D100", severity=Severity.INFO)])
    assert outcome.reasons == ("1 finding of any severity (D100 x1)",)


def test_architecture_forms(build) -> None:
    arch = [
        build.finding("CR-ARCH-001", line=1, severity=Severity.HIGH,
                      category=Category.ARCHITECTURE, status=EXISTING),
        build.finding("CR-ARCH-002", line=2, severity=Severity.MEDIUM,
                      category=Category.ARCHITECTURE, status=NEW),
        build.finding("S608", line=3, severity=Severity.CRITICAL, category=Category.SECURITY),
    ]
    assert evaluate_gate(parse_gate("architecture"), arch).reasons == (
        "2 architecture findings (CR-ARCH-001 x1, CR-ARCH-002 x1)",
    )
    assert evaluate_gate(parse_gate("new-architecture"), arch).reasons == (
        "1 new architecture finding (CR-ARCH-002 x1)",
    )
    assert evaluate_gate(parse_gate("architecture"), arch[2:]).passed


def test_an_unchecked_contract_fails_architecture_conditions_only(findings) -> None:
    custom = UnsupportedContract("No print", "no_print", ".importlinter [x]", "custom class")
    for spec in ("architecture", "new-architecture"):
        outcome = evaluate_gate(parse_gate(spec), findings, [custom])
        assert not outcome.passed
        assert outcome.reasons == (
            f"{spec}: 1 contract not checked: 'No print' (type no_print); "
            "--allow-unsupported-contracts accepts this",
        )
    # other conditions do not look at contracts; without unchecked ones, architecture passes
    assert evaluate_gate(parse_gate("critical"), findings, [custom]).passed
    assert evaluate_gate(parse_gate("architecture"), findings).passed


def test_an_unmatched_ignore_at_error_level_fails_architecture_and_a_warning_does_not() -> None:
    error = ContractWarning("Layers", "error", "ignore_imports line 'a -> b' matches no import")
    warn = ContractWarning("Other", "warn", "ignore_imports line 'c -> d' matches no import")
    failed = evaluate_gate(parse_gate("architecture"), [], contract_warnings=[error, warn])
    assert failed.reasons == (
        "architecture: contract 'Layers': ignore_imports line 'a -> b' matches no import",
    )
    assert evaluate_gate(parse_gate("architecture"), [], contract_warnings=[warn]).passed
    assert evaluate_gate(parse_gate("high"), [], contract_warnings=[error]).passed


def test_combination_fails_on_each_matching_condition(findings, build) -> None:
    spec = parse_gate(" New-High , architecture ")
    assert spec.text == "new-high,architecture"
    outcome = evaluate_gate(spec, findings)
    assert not outcome.passed
    assert outcome.reasons == ("1 new finding at or above high (S608 x1)",)
    cycle = build.finding("CR-ARCH-002", severity=Severity.MEDIUM, category=Category.ARCHITECTURE,
                          status=EXISTING)
    both = evaluate_gate(spec, [*findings, cycle])
    assert len(both.reasons) == 2 and "architecture" in both.reasons[1]


def test_repeated_terms_count_once() -> None:
    assert parse_gate("high,high").text == "high"
    assert len(parse_gate("high,HIGH").conditions) == 1


@pytest.mark.parametrize("spec", ["", "none", " NONE ", " , "])
def test_none_and_empty_never_fail(findings, spec: str) -> None:
    gate = parse_gate(spec)
    assert not gate.enabled
    outcome = evaluate_gate(gate, findings)
    assert outcome.passed and outcome.reasons == () and outcome.spec == "none"


def test_passes_with_reasons_empty_when_nothing_matches(build) -> None:
    outcome = evaluate_gate(parse_gate("high"), [build.finding("E501", severity=Severity.LOW)])
    assert outcome.passed and outcome.reasons == ()


@pytest.mark.parametrize(
    "spec", ["hihg", "new-", "new", "high,", "none,high", "new-none", "severe", "new-new-high",
             "high;medium", "architectures"],
)
def test_invalid_spec_is_a_config_error_listing_accepted_forms(spec: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_gate(spec)
    message = str(info.value)
    assert repr(spec) in message
    for form in ("critical", "high", "medium", "new-", "architecture", "none"):
        assert form in message
