"""report.md fits a pull-request comment; report.html is self-contained and safe."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.report import ReviewResult
from coderev.domain.roles import FileRole
from coderev.reports import render_reports
from coderev.reports.markdown_format import MAX_CHARS, MAX_ROWS, to_markdown


def _many(result: ReviewResult, n: int) -> ReviewResult:
    extra = tuple(
        Finding(
            rule_id="F401",
            severity=Severity.LOW,
            category=Category.BUG_RISK,
            path=f"src/pkg/mod_{i}.py",
            line=i + 1,
            message=f"`os` imported but unused ({i})",
            fix_hint="Remove the import",
            fingerprint=fingerprint("F401", f"m{i}", "import os"),
        )
        for i in range(n)
    )
    return replace(result, findings=result.findings + extra)


def test_markdown_names_the_planted_problems(sample_result: ReviewResult) -> None:
    md = to_markdown(sample_result)
    assert md.startswith("## coderev review of `shop`")
    assert "`S608`" in md and "shop.services.inventory → shop.services.orders" in md
    assert "not shown" not in md


def _source(result: ReviewResult) -> list[Finding]:
    """The findings in source files (the sample's tests/test_cart.py has one of its own)."""
    return [f for f in result.findings if f.role is FileRole.SOURCE]


def _table_rows(md: str) -> int:
    """Rows of the source findings' table (the non-source section's rows start with a role)."""
    roles = tuple(f"| {r.value} | " for r in FileRole)
    return sum(
        1
        for line in md.splitlines()
        if line.startswith("| ") and " | new | `" in line and not line.startswith(roles)
    )


def test_markdown_with_5000_findings_lists_the_worst_and_counts_the_rest(
    sample_result: ReviewResult,
) -> None:
    md = to_markdown(_many(sample_result, 5000))
    assert len(md.encode("utf-8")) <= MAX_CHARS  # bytes: never fewer than characters
    assert _table_rows(md) == MAX_ROWS
    match = re.search(r"(\d+) more in source code, by rule:", md)
    assert match is not None
    assert MAX_ROWS + int(match.group(1)) == 5000 + len(_source(sample_result))
    listed = MAX_ROWS - len(_source(sample_result))  # the sample's are all more severe
    assert f"| `F401` | low | {5000 - listed} |" in md  # the rest counted, not listed
    assert "### Architecture" in md  # later sections survive
    assert "report.html" in md


def test_markdown_cut_to_the_size_limit_says_how_many_rows_it_left_out(
    sample_result: ReviewResult,
) -> None:
    md = to_markdown(_many(sample_result, 5000), max_chars=6000)
    assert len(md.encode("utf-8")) <= 6000
    match = re.search(
        r"… (\d+) more findings not shown \(comment size limit\); see report.html", md
    )
    assert match is not None
    assert _table_rows(md) + int(match.group(1)) == MAX_ROWS
    assert "### Architecture" in md


def test_markdown_clips_an_overlong_summary_and_keeps_the_findings(
    sample_result: ReviewResult,
) -> None:
    summary = "\n".join(f"- 🟥 risk number {i} " + "x" * 80 for i in range(3000))
    long = replace(sample_result, review=replace(sample_result.review, summary=summary))
    md = to_markdown(long)
    assert len(md.encode("utf-8")) <= MAX_CHARS
    assert "cut to fit a comment; see report.html" in md
    assert _table_rows(md) == len(_source(sample_result))


def test_markdown_counts_findings_outside_source_code_apart(sample_result: ReviewResult) -> None:
    tests = tuple(
        replace(f, role=FileRole.TEST, path="tests/" + f.path)
        for f in _many(sample_result, 30).findings[-30:]
    )
    md = to_markdown(replace(sample_result, findings=sample_result.findings + tests))
    in_tests = 30 + len(sample_result.findings) - len(_source(sample_result))
    section = md.index(f"### Tests, examples and other non-source code\n\n{in_tests} in test files")
    assert "tests/src/pkg" not in md[:section]  # not listed among the source findings
    listed = [line for line in md[section:].splitlines() if line.startswith("| test | ")]
    assert len(listed) == 10 and "the 10 most severe" in md[section:]


def test_html_is_self_contained_with_graph_and_filters(sample_result: ReviewResult) -> None:
    html = render_reports(sample_result, ("html",))["html"]
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", html)
    assert "<link" not in html and "@import" not in html
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)
    cyclic = [
        g for g in root.iter("{http://www.w3.org/2000/svg}g") if "cyclic" in g.get("class", "")
    ]
    assert [g.get("data-package") for g in cyclic] == ["shop.services"]
    assert 'id="f-sev"' in html and 'id="f-text"' in html
    assert "compute_price" in html  # per-file metrics name the worst function


def test_html_escapes_hostile_messages(sample_result: ReviewResult) -> None:
    evil = Finding(
        rule_id="X1",
        severity=Severity.HIGH,
        category=Category.SECURITY,
        path="a.py",
        line=1,
        message="<script>alert(1)</script>",
        fix_hint="<img src=x onerror=alert(2)>",
        fingerprint=fingerprint("X1", "a.py", "x"),
    )
    html = render_reports(replace(sample_result, findings=(evil,)), ("html",))["html"]
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
