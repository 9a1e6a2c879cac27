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


def test_rules_carry_the_catalogues_title_cwe_and_precision(sample_result: ReviewResult) -> None:
    from coderev.rules import default_catalogue

    run = to_sarif(sample_result)["runs"][0]
    by_id = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    messages = {f.rule_id: f.message for f in sample_result.findings}
    for rule_id, rule in by_id.items():
        entry = default_catalogue().rule(rule_id)
        assert rule["shortDescription"]["text"] == entry.title != messages[rule_id]
        assert rule["fullDescription"]["text"] == entry.why
        assert entry.suggestion in rule["help"]["text"] and entry.why in rule["help"]["markdown"]
        assert rule["properties"]["precision"] == entry.precision.value
        assert rule["helpUri"] == entry.help_uri
    sql = by_id["S608"]
    assert {"external/cwe/cwe-89", "security"} <= set(sql["properties"]["tags"])
    assert sql["name"] == "hardcoded-sql-expression"
    assert len({r["properties"]["precision"] for r in by_id.values()}) > 1  # not all "high"
    assert by_id["S307"]["properties"]["security-severity"] == "9.5"  # critical: eval
    assert by_id["S307"]["defaultConfiguration"]["level"] == "error"
    for rule_id in ("CR-MET-001", "CR-MET-002"):  # metrics: at most medium
        assert by_id[rule_id]["defaultConfiguration"]["level"] == "warning"


def test_the_lint_configuration_and_its_warnings_are_in_the_invocation(
    sample_result: ReviewResult, official_sarif_schema: dict[str, Any]
) -> None:
    from dataclasses import replace

    from coderev.domain.lint import LintConfigMode, LintConfiguration

    warned = LintConfiguration(
        LintConfigMode.PROJECT, "0.17.5", warnings=("ruff.toml left out: not valid TOML",)
    )
    sarif = to_sarif(replace(sample_result, lint_config=warned))
    Draft7Validator(official_sarif_schema).validate(sarif)
    (invocation,) = sarif["runs"][0]["invocations"]
    assert invocation["properties"]["lintConfig"]["mode"] == "project"
    (note,) = invocation["toolConfigurationNotifications"]
    assert note["message"] == {"text": "ruff.toml left out: not valid TOML"}
    assert (note["level"], note["descriptor"]["id"]) == ("warning", "lint-configuration")
