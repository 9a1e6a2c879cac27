"""Every report format shows each import-time cycle's size, kind and cut (file:line per import),
and lists cycles closed only by deferred or type-checking imports as information."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from jsonschema import Draft7Validator

from coderev.architecture.analyze import cycle_findings
from coderev.domain.report import ReviewResult
from coderev.reports import render_reports, to_json_dict
from coderev.reports.sarif_format import to_sarif


@pytest.fixture
def with_cycle_finding(built_result: ReviewResult) -> ReviewResult:
    # The finding the architecture room makes for the fixture's 3-module cycle.
    return replace(built_result, findings=tuple(cycle_findings(built_result.architecture)))


def test_json_cycles_carry_size_kind_and_cut(with_cycle_finding: ReviewResult) -> None:
    arch = to_json_dict(with_cycle_finding)["architecture"]
    (cycle,) = arch["cycles"]
    assert (cycle["size"], cycle["kind"]) == (3, "import-time")
    assert cycle["cut"] == [
        {"source": "app.core.a", "target": "app.api.views", "path": "app/core/a.py", "lines": [4]},
        {"source": "app.core.b", "target": "app.core.a", "path": "app/core/b.py", "lines": [3]},
    ]
    (other,) = arch["other_cycles"]
    assert (other["size"], other["kind"], other["cut"]) == (4, "deferred", [])
    kinds = {(e["source"], e["target"]): e["kind"] for e in arch["imports"]}
    assert kinds[("app.core.b", "app.domain.model")] == "deferred"


def test_markdown_shows_the_cut_and_counts_the_information_cycles(
    with_cycle_finding: ReviewResult,
) -> None:
    md = render_reports(with_cycle_finding, ("md",))["md"]
    assert "- import cycle of 3 modules: `app.core.a → app.core.b → app.core.a`" in md
    assert "`app.core.a → app.api.views` at `app/core/a.py:4`" in md
    assert "`app.core.b → app.core.a` at `app/core/b.py:3`" in md
    assert "1 other cycle(s) closed only by deferred or type-checking imports" in md


def test_html_shows_the_cut_and_the_information_cycles(with_cycle_finding: ReviewResult) -> None:
    html = render_reports(with_cycle_finding, ("html",))["html"]
    assert "<b>3 modules</b>: <code>app.core.a → app.core.b → app.core.a</code>" in html
    assert "to break it, remove these 2 imports:" in html
    assert "<code>app.core.a → app.api.views</code>" in html
    assert "<code>app/<wbr>core/<wbr>a.py:4</code>" in html
    assert "<li><b>4 modules</b>, deferred: " in html


def test_sarif_message_and_locations_name_every_cut_import(
    with_cycle_finding: ReviewResult, official_sarif_schema: dict[str, Any]
) -> None:
    sarif = to_sarif(with_cycle_finding)
    Draft7Validator(official_sarif_schema).validate(sarif)
    (result,) = sarif["runs"][0]["results"]
    text = result["message"]["text"]
    assert "import cycle: 3 modules import each other at import time" in text
    assert "app.core.a -> app.api.views (app/core/a.py:4)" in text
    assert "app.core.b -> app.core.a (app/core/b.py:3)" in text
    cut_locations = [
        (loc["physicalLocation"]["artifactLocation"]["uri"], loc["physicalLocation"]["region"])
        for loc in result["relatedLocations"]
        if "region" in loc["physicalLocation"]
    ]
    assert cut_locations == [
        ("app/core/a.py", {"startLine": 4}),
        ("app/core/b.py", {"startLine": 3}),
    ]
    assert result["properties"]["cycle_size"] == 3
    assert result["properties"]["cut"] == [
        "app.core.a -> app.api.views",
        "app.core.b -> app.core.a",
    ]
