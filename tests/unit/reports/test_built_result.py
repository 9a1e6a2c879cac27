"""Every format on a hand-built result: all severities and categories, drift, gate, skipped."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category, Severity
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult
from coderev.reports import load_baseline, render_reports, to_json_dict, write_reports
from coderev.reports.baseline_reader import report_schema
from coderev.reports.html_format import to_html
from coderev.reports.html_page import PageLimits
from coderev.reports.markdown_format import to_markdown
from coderev.reports.package_graph import package_graph
from coderev.reports.sarif_format import to_sarif

GATE = GateOutcome(spec="new-high", passed=False, reasons=("3 new findings at or above high",))


def test_json_covers_every_severity_category_and_drift(built_result: ReviewResult) -> None:
    report = to_json_dict(built_result, GATE, generated_at="2026-01-01T00:00:00+00:00")
    Draft202012Validator(report_schema()).validate(report)
    summary = report["summary"]
    assert summary["by_severity"] == {s.value: 1 if s is not Severity.HIGH else 2 for s in Severity}
    assert set(summary["by_category"]) == {c.value for c in Category}
    assert (summary["new"], summary["existing"]) == (4, 2)
    assert summary["gate"]["passed"] is False
    assert {f["source"] for f in report["findings"]} == {"ruff", "coderev"}
    assert [s["reason"] for s in report["skipped"]] == ["vcs-folder", "minified-file"]
    drift = report["drift"]
    assert drift["findings"]["fixed"] == ["0" * 16, "f" * 16]
    assert drift["architecture"]["new_violations"][0]["chain"] == [
        "app.domain.model",
        "app.core.a",
        "app.api.views",
    ]
    assert drift["architecture"]["packages"][1]["instability_before"] is None
    per_file = {f["path"]: f["metrics"] for f in report["files"]}
    assert per_file["web/app.ts"] is None
    assert per_file["app/core/b.py"]["functions"][0]["complexity"] == 14
    assert report["generated_at"] == "2026-01-01T00:00:00+00:00"


def test_sarif_marks_baseline_states_and_links_chains(
    built_result: ReviewResult, official_sarif_schema: dict[str, Any]
) -> None:
    sarif = to_sarif(built_result)
    Draft7Validator(official_sarif_schema).validate(sarif)
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    assert results["S307"]["baselineState"] == "new"
    assert results["B006"]["baselineState"] == "unchanged"
    assert [r["level"] for r in (results["S307"], results["B006"], results["E501"])] == [
        "error",
        "warning",
        "note",
    ]
    related = [
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for loc in results["CR-ARCH-002"]["relatedLocations"]
    ]
    assert related == ["app/domain/model.py", "app/core/a.py", "app/api/views.py"]
    assert results["CR-ARCH-001"]["properties"]["chain"][0] == "app.core.a"
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["S307"]["properties"]["security-severity"] == "9.5"
    assert rules["S307"]["helpUri"].endswith("suspicious-eval-usage/")
    assert "helpUri" not in rules["CR-C901"] or rules["CR-C901"]["helpUri"].startswith("http")


def test_markdown_shows_gate_new_first_and_drift(built_result: ReviewResult) -> None:
    md = to_markdown(built_result, GATE)
    assert "Quality gate `new-high` (source files): ❌ **failed**" in md
    assert "- 3 new findings at or above high" in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "`" in line]
    statuses = [row.split(" | ")[1] for row in rows if row.split(" | ")[1] in {"new", "existing"}]
    assert statuses == ["new"] * 4 + ["existing"] * 2
    assert "new cycle `app.core.a → app.core.b → app.core.a`" in md
    assert "**4 new**, 2 existing, 2 fixed" in md


def test_html_highlights_the_package_cycle(built_result: ReviewResult) -> None:
    html = render_reports(built_result, ("html",))["html"]
    svg = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    ns = "{http://www.w3.org/2000/svg}"
    cyclic = {g.get("data-package") for g in svg.iter(f"{ns}g") if "cyclic" in g.get("class", "")}
    assert cyclic == {"app.api", "app.core"}  # views -> a -> views crosses them
    assert "static/huge.min.js" in html  # skipped entries are listed


def test_write_reports_writes_each_format_and_reads_back(
    built_result: ReviewResult, tmp_path: Path
) -> None:
    written = write_reports(built_result, tmp_path / "out", gate=GATE)
    assert sorted(p.name for p in written.values()) == [
        "report.html",
        "report.json",
        "report.md",
        "report.sarif",
    ]
    assert json.loads(written["sarif"].read_text())["version"] == "2.1.0"
    base = load_baseline(written["json"])
    assert base.architecture == built_result.architecture
    assert base.fingerprints == {f.fingerprint for f in built_result.findings}


def test_unknown_format_is_a_config_error(built_result: ReviewResult, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pdf"):
        write_reports(built_result, tmp_path, formats=("json", "pdf"))
    assert not (tmp_path / "report.json").exists()


def test_graph_reds_both_directions_and_says_when_capped(built_result: ReviewResult) -> None:
    graph = package_graph(built_result.architecture)
    assert graph.cyclic_edges == {("app.api", "app.core"), ("app.core", "app.api")}
    assert ("app.domain", "app.core") in graph.edges
    assert ("app.domain", "app.core") not in graph.cyclic_edges
    capped = package_graph(built_result.architecture, max_nodes=2)
    assert capped.nodes == ("app.api", "app.core") and capped.omitted == 2
    html = to_html(built_result, to_json_dict(built_result), PageLimits(graph_nodes=2))
    assert "+2 packages not shown" in html
