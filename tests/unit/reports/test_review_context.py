"""Every report says which configuration reviewed (and its experiment) and that rules with low
acceptance in the project are shown collapsed, and does collapse them; with a server, each
finding links its feedback verdicts."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlparse

from jsonschema import Draft202012Validator

from coderev.domain.report import ReviewContext, ReviewResult
from coderev.reports.baseline_reader import report_schema
from coderev.reports.writer import render_reports


def _context(result: ReviewResult, rule: str) -> ReviewContext:
    return ReviewContext(
        configuration="strict@2", configuration_digest="ab" * 32, experiment_id="exp_1234",
        experiment_name="stricter severity", arm="candidate", project="shop",
        analysis_id="a-1", collapsed_rules=(rule,), acceptance={rule: 0.1},
        feedback_url="https://coderev.example/v1/feedback/new",
    )  # fmt: skip


def test_reports_without_feedback_still_say_the_rule(sample_result: ReviewResult) -> None:
    out = render_reports(sample_result, ("json", "md", "html"))
    note = "Rules with < 30% acceptance in this project are shown collapsed"
    assert note in out["md"] and note.replace("<", "&lt;") in out["html"]
    assert "Reviewed with coderev's built-in configuration" in out["md"]
    report = json.loads(out["json"])
    assert report["review_context"]["collapsed_rules"] == []
    Draft202012Validator(report_schema()).validate(report)


def test_low_acceptance_rules_are_collapsed_in_every_format(sample_result: ReviewResult) -> None:
    counts: dict[str, int] = {}
    for f in sample_result.findings:
        counts[f.rule_id] = counts.get(f.rule_id, 0) + 1
    rule = max(counts, key=lambda r: counts[r])
    result = replace(sample_result, context=_context(sample_result, rule))
    out = render_reports(result, ("json", "md", "html", "sarif"))

    md = out["md"]
    assert "Reviewed with configuration `strict@2` (candidate arm of experiment" in md
    folded = md[md.index("<details><summary>") :]
    assert f"`{rule}` 10% accepted" in folded
    main = md[: md.index("<details><summary>")]
    assert f"| `{rule}` |" not in main.split("### Findings")[1]  # not in the main table
    link = next(w for w in md.split("(") if w.startswith("https://coderev.example"))
    query = parse_qs(urlparse(link.split(")")[0]).query)
    assert query["analysis"] == ["a-1"] and query["verdict"] == ["accepted"]
    assert query["configuration"] == ["strict@2"] and query["project"] == ["shop"]

    html = out["html"]
    assert 'id="configuration"' in html and "stricter severity" in html
    assert '<details class="findings-group" data-role="collapsed">' in html  # closed
    assert "verdict=wrong" in html

    sarif = json.loads(out["sarif"])["runs"][0]
    assert sarif["properties"]["reviewContext"]["collapsed_rules"] == [rule]
    ours = [r for r in sarif["results"] if r["ruleId"] == rule]
    assert ours and all(r["properties"]["collapsed"] for r in ours)
    others: list[dict[str, Any]] = [r for r in sarif["results"] if r["ruleId"] != rule]
    assert not any(r["properties"].get("collapsed") for r in others)
    assert "[dismiss](https://coderev.example" in ours[0]["message"]["markdown"]

    report = json.loads(out["json"])
    Draft202012Validator(report_schema()).validate(report)
    assert report["review_context"]["experiment_id"] == "exp_1234"
