"""report.html: one self-contained page (inline CSS, JS and SVG; nothing fetched).

Rendered from the same dictionary as report.json, with autoescaping on, so whatever a
finding's message holds is shown as text, never run.
"""

from __future__ import annotations

from typing import Any

from coderev.domain.findings import Category, Severity
from coderev.domain.report import ReviewResult
from coderev.reports.graph_svg import MAX_NODES, package_graph, render_svg


def to_html(result: ReviewResult, report: dict[str, Any], max_nodes: int = MAX_NODES) -> str:
    """The page for `result`; `report` is its to_json_dict. Draws at most `max_nodes` packages."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(
        loader=PackageLoader("coderev.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    graph = package_graph(result.architecture, max_nodes)
    template = env.get_template("report.html.j2")
    return template.render(
        **report,
        severities=[s.value for s in Severity],
        categories=[c.value for c in Category],
        graph_svg=Markup(render_svg(graph)),  # noqa: S704 - built from escaped parts in graph_svg
        omitted=graph.omitted,
    )
