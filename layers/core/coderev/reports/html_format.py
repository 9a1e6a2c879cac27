"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched).

Rendered from the same dictionary as report.json, with autoescaping on, so whatever a
finding's message holds is shown as text, never run; the review summary is Markdown rendered
by markdown-it-py with raw HTML off. What the page embeds is bounded (see html_page), so it
opens fast for a large review; the page says what it left out. It works without JavaScript:
the script only adds filtering, table sorting and graph highlighting.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from coderev.domain.findings import Category, Severity
from coderev.domain.report import ReviewResult
from coderev.reports.coupling_table import package_groups, packages_of_tests
from coderev.reports.graph_svg import render_svg
from coderev.reports.html_page import (
    PageLimits,
    collapsed_section,
    files_shown,
    findings_sections,
)
from coderev.reports.lint_config_text import lint_config_line
from coderev.reports.markdown_html import (
    code_spans_to_html,
    markdown_inline_to_html,
    markdown_to_html,
)
from coderev.reports.package_graph import package_graph

if TYPE_CHECKING:
    from jinja2 import Template
    from markupsafe import Markup

# Findings rows per table: each table is laid out only when near the screen (see report.css.j2)
CHUNK_ROWS = 50


def break_after(text: str, separator: str) -> Markup:
    """`text` escaped, with a line-break opportunity after each `separator`: a long path wraps
    at its slashes (a package name at its dots) before it wraps anywhere."""
    from markupsafe import Markup, escape

    return Markup(separator + "<wbr>").join(escape(text).split(separator))  # noqa: S704


@cache
def report_template() -> Template:
    """report.html's template, compiled once per process (about 0.12 s; the pool's forkserver
    does it for its workers: see html_warm), with the templates it includes."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("coderev.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["break_after"] = break_after
    env.filters["markdown_inline"] = markdown_inline_to_html
    env.filters["code_spans"] = code_spans_to_html
    for included in ("report.css.j2", "report.js.j2"):  # kept in the environment's cache
        env.get_template(included)
    return env.get_template("report.html.j2")


def page_document(report: dict[str, Any]) -> dict[str, Any]:
    """What the page reads of report.json's document: all but the files without findings (it
    lists the others only, and counts them all from the summary). Half the document's pickle:
    what a worker rendering the page is sent (coderev.reports.writer)."""
    with_findings = {f["path"] for f in report["findings"]}
    return report | {"files": [f for f in report["files"] if f["path"] in with_findings]}


def to_html(result: ReviewResult, report: dict[str, Any], limits: PageLimits | None = None) -> str:
    """The page for `result`; `report` is its to_json_dict (or that dict's page_document).
    `limits`: how much it embeds."""
    from markupsafe import Markup

    limits = limits or PageLimits()
    roles = {f.path: f.role for f in result.files}
    tests = packages_of_tests(result.architecture, roles)
    graph = package_graph(result.architecture, limits.graph_nodes, tests)
    context = result.context
    rare = frozenset(context.collapsed_rules)
    shown = [f for f in report["findings"] if f["rule_id"] not in rare]
    sections = findings_sections(shown, limits.full_rows, limits.compact_rows)
    if rare:
        sections += collapsed_section(
            [f for f in report["findings"] if f["rule_id"] in rare], limits.full_rows,
            limits.compact_rows, f"{context.collapse_note} — rules rarely accepted here",
        )  # fmt: skip

    def feedback_links(f: dict[str, Any]) -> list[tuple[str, str]]:
        links = [(label, context.feedback_link(f["fingerprint"], f["rule_id"], verdict))
                 for label, verdict in (("accept", "accepted"), ("dismiss", "dismissed"),
                                        ("wrong", "wrong"))]  # fmt: skip
        return [(label, url) for label, url in links if url is not None]

    return report_template().render(
        **report,
        severities=[s.value for s in Severity],
        categories=[c.value for c in Category],
        summary_html=markdown_to_html(report["review"]["summary"]),
        sections=sections,
        findings_left_out=sum(s.left_out for s in sections),
        files_shown=files_shown(
            report["files"], report["findings"], report["summary"]["files"], limits.file_rows
        ),
        package_groups=package_groups(result.architecture, roles),
        has_baseline=result.findings_drift is not None,
        CHUNK_ROWS=CHUNK_ROWS,
        limits=limits,
        graph=graph,
        graph_svg=Markup(render_svg(graph)),  # noqa: S704 - built from escaped parts in graph_svg
        lint_line=lint_config_line(result.lint_config),
        feedback_links=feedback_links,
    )
