"""Roles in every report format: on files, findings and comments in report.json (with counts
per role), the non-source findings in a section of their own in report.md and report.html,
and a `role` property on each SARIF result. The sample's tests/test_cart.py is a test file."""

from __future__ import annotations

import json
from dataclasses import replace

from jsonschema import Draft202012Validator

from coderev.domain.report import ReviewResult
from coderev.reports import render_reports
from coderev.reports.baseline_reader import report_schema
from coderev.reports.json_format import to_json_dict
from coderev.reports.markdown_format import NON_SOURCE_TITLE

TEST_FILE = "tests/test_cart.py"


def test_report_json_has_roles_on_files_findings_comments_and_counts(
    sample_result: ReviewResult,
) -> None:
    report = to_json_dict(sample_result)
    Draft202012Validator(report_schema()).validate(report)
    roles = {f["path"]: f["role"] for f in report["files"]}
    assert roles[TEST_FILE] == "test"
    assert {r for p, r in roles.items() if p != TEST_FILE} == {"source"}
    in_tests = [f for f in report["findings"] if f["path"] == TEST_FILE]
    assert in_tests and {f["role"] for f in in_tests} == {"test"}
    assert {f["role"] for f in report["findings"] if f["path"] != TEST_FILE} == {"source"}
    by_role = report["summary"]["by_role"]
    assert by_role["test"] == {"files": 1, "findings": len(in_tests)}
    assert by_role["source"]["files"] == len(roles) - 1
    assert sum(c["findings"] for c in by_role.values()) == len(report["findings"])
    assert set(by_role) == {"source", "test", "example", "docs", "build", "generated"}
    # source findings first in the list, the test file's after them
    listed = [f["role"] for f in report["findings"]]
    assert listed == sorted(listed, key=lambda r: r != "source")
    comments = report["review"]["comments"]
    assert {c["role"] for c in comments if c["path"] == TEST_FILE} <= {"test"}
    assert comments[0]["role"] == "source"


def test_markdown_and_html_list_non_source_findings_after_the_products(
    sample_result: ReviewResult,
) -> None:
    out = render_reports(sample_result, ("md", "html", "sarif"))
    md = out["md"]
    product = md.index("### Findings")
    others = md.index(f"### {NON_SOURCE_TITLE}")
    assert product < others < md.rindex("### Architecture")  # the findings come before it
    assert TEST_FILE not in md[product:others]
    assert "| test | " in md[others:] and TEST_FILE in md[others:]
    top_risks = md[md.index("### Top risks") : md.index("### Architecture")]
    assert TEST_FILE not in top_risks

    html = out["html"].replace("<wbr>", "")  # paths may wrap at their slashes
    source = html.index('data-role="source"')
    tests = html.index('data-role="test"')
    assert source < tests < html.index('id="architecture"')
    product = html[source : html.index("</details>", source)]
    assert TEST_FILE not in product and "src/shop/adapters/db.py" in product
    section = html[tests : html.index("</details>", tests)]
    assert TEST_FILE in section and "src/shop/" not in section

    results = json.loads(out["sarif"])["runs"][0]["results"]
    roles = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: r["properties"]["role"]
        for r in results
    }
    assert roles[TEST_FILE] == "test" and roles["src/shop/adapters/db.py"] == "source"


def test_without_non_source_files_there_is_no_such_section(sample_result: ReviewResult) -> None:
    product_only = replace(
        sample_result,
        files=tuple(f for f in sample_result.files if f.path != TEST_FILE),
        findings=tuple(f for f in sample_result.findings if f.path != TEST_FILE),
    )
    out = render_reports(product_only, ("md", "html"))
    assert NON_SOURCE_TITLE not in out["md"] and 'data-role="test"' not in out["html"]
