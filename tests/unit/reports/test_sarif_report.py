"""report.sarif: valid against the official OASIS SARIF 2.1.0 schema, architecture included."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft7Validator

from coderev.domain.report import ReviewResult
from coderev.reports.sarif_format import to_sarif


def test_sarif_is_valid_against_the_official_schema(
    sample_result: ReviewResult, official_sarif_schema: dict[str, Any]
) -> None:
    Draft7Validator(official_sarif_schema).validate(to_sarif(sample_result))


def test_sarif_with_baseline_states_are_valid(
    sample_with_baseline: ReviewResult, official_sarif_schema: dict[str, Any]
) -> None:
    sarif = to_sarif(sample_with_baseline)
    Draft7Validator(official_sarif_schema).validate(sarif)
    assert {r["baselineState"] for r in sarif["runs"][0]["results"]} == {"unchanged"}


def test_the_schema_check_can_fail(official_sarif_schema: dict[str, Any]) -> None:
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}
    assert list(Draft7Validator(official_sarif_schema).iter_errors(bad))


def test_every_result_points_at_a_rule_and_has_a_fingerprint(sample_result: ReviewResult) -> None:
    run = to_sarif(sample_result)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert len(result["partialFingerprints"]["coderev/v1"]) >= 16
    by_id = {r["id"]: r for r in rules}
    assert "CR-ARCH-001" in by_id and "CR-ARCH-002" in by_id
    assert by_id["CR-ARCH-001"]["help"]["text"]
    assert by_id["S608"]["properties"]["security-severity"] == "8.0"
    assert by_id["S608"]["helpUri"].startswith("https://docs.astral.sh/ruff/rules/")
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels["S307"] == "error" and levels["B006"] == "warning"
