"""report.json: valid against the checked-in schema, deterministic, and readable as a baseline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from coderev.domain.errors import BaselineError
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult
from coderev.reports import load_baseline, render_reports, to_json_dict, write_reports
from coderev.reports.baseline_reader import report_schema


def test_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(report_schema())


def test_report_validates_and_carries_the_required_sections(sample_result: ReviewResult) -> None:
    gate = GateOutcome(spec="high", passed=False, reasons=("8 findings at or above high",))
    report = to_json_dict(sample_result, gate)
    Draft202012Validator(report_schema()).validate(report)
    assert report["schema_version"] == "1.1"
    assert report["summary"]["gate"] == {
        "spec": "high",
        "passed": False,
        "reasons": ["8 findings at or above high"],
        "roles": ["source"],
    }
    assert report["summary"]["findings"] == len(report["findings"]) > 0
    imports = report["architecture"]["imports"]
    assert {"source", "target", "line"} <= set(imports[0])
    assert report["drift"] is None
    assert report["review"]["comments"]


def test_report_with_baseline_has_drift_and_validates(sample_with_baseline: ReviewResult) -> None:
    report = to_json_dict(sample_with_baseline)
    Draft202012Validator(report_schema()).validate(report)
    assert report["drift"]["findings"]["new"] == 0
    assert report["drift"]["architecture"]["new_imports"] == []
    assert {f["status"] for f in report["findings"]} == {"existing"}


def test_output_is_deterministic_apart_from_time(sample_result: ReviewResult) -> None:
    a = render_reports(
        replace(sample_result, timings={}), ("json",), generated_at="2026-01-01T00:00:00+00:00"
    )
    b = render_reports(
        replace(sample_result, timings={}), ("json",), generated_at="2026-01-01T00:00:00+00:00"
    )
    assert a == b


def test_baseline_round_trip(sample_result: ReviewResult, tmp_path: Path) -> None:
    write_reports(sample_result, tmp_path, formats=("json",))
    base = load_baseline(tmp_path / "report.json")
    assert base.fingerprints == {f.fingerprint for f in sample_result.findings}
    assert base.architecture == sample_result.architecture


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("{not json", "is not JSON"),
        ('{"schema_version": "2.0"}', "schema_version '2.0'"),
        ('{"schema_version": "1.0", "findings": []}', "not a valid coderev report"),
    ],
)
def test_bad_baselines_are_clear_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "old.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=message) as info:
        load_baseline(path)
    assert "old.json" in str(info.value)


def test_a_tampered_finding_is_rejected(sample_result: ReviewResult, tmp_path: Path) -> None:
    write_reports(sample_result, tmp_path, formats=("json",))
    doc = json.loads((tmp_path / "report.json").read_text())
    doc["findings"][0]["severity"] = "catastrophic"
    (tmp_path / "report.json").write_text(json.dumps(doc))
    with pytest.raises(BaselineError, match="findings/0/severity"):
        load_baseline(tmp_path / "report.json")


def test_the_lint_configuration_is_recorded_and_validates(sample_result: ReviewResult) -> None:
    from coderev.domain.lint import LintConfigMode, LintConfiguration, RuffConfigUse

    used = LintConfiguration(
        mode=LintConfigMode.PROJECT,
        ruff_version="0.17.5",
        configs=(RuffConfigUse("lib/ruff.toml", 12, ("S113", "S307"), ("ruff.toml",)),),
        default_files=3,
        warnings=("docs/pyproject.toml left out: not valid TOML",),
        nosec_suppressed=2,
    )
    report = to_json_dict(replace(sample_result, lint_config=used))
    Draft202012Validator(report_schema()).validate(report)
    assert report["lint_config"] == {
        "mode": "project",
        "ruff_version": "0.17.5",
        "configs": [
            {
                "path": "lib/ruff.toml",
                "files": 12,
                "extends": ["ruff.toml"],
                "added_rules": ["S113", "S307"],
            }
        ],
        "default_files": 3,
        "nosec_suppressed": 2,
        "warnings": ["docs/pyproject.toml left out: not valid TOML"],
    }
    assert sample_result.lint_config is not None  # the sample has no ruff configuration
    assert to_json_dict(sample_result)["lint_config"]["configs"] == []


def test_the_terminal_summary_is_report_jsons_in_a_few_kb(
    sample_result: ReviewResult, sample_with_baseline: ReviewResult, built_result: ReviewResult
) -> None:
    from coderev.reports.json_format import summary_of, summary_of_result

    gate = GateOutcome(spec="high", passed=False, reasons=("8 findings at or above high",))
    for result in (sample_result, sample_with_baseline, built_result):
        for g in (None, gate):
            whole = json.loads(json.dumps(to_json_dict(result, g)))  # as read back from JSON
            summary = summary_of_result(result, g)
            assert json.loads(json.dumps(summary)) == summary_of(whole)
            assert summary["summary"] == whole["summary"]
            arch = whole["architecture"]
            assert summary["architecture"]["modules"] == len(arch["modules"]) > 0
            assert summary["architecture"]["imports"] == len(arch["imports"])
            assert len(summary["comments"]) == min(3, len(whole["review"]["comments"]))
            assert len(json.dumps(summary)) < 8_000
    drift = summary_of_result(sample_with_baseline)["drift"]
    assert drift is not None and isinstance(drift["fixed"], int)
