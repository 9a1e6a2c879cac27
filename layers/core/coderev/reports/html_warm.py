"""Imported by a worker pool's forkserver (coderev.pipeline.parallel.warm_up's `preload`), for
its workers to render reports with nothing left to load: importing it imports the report
formats and what they load on first use, once, in the forkserver, and every worker is forked
with them. A worker's first reports otherwise spent about 1 s on it (on 2 cores): networkx for
the page's graph layout, 0.3-0.5 s; Jinja, markdown-it-py and the page's modules, 0.25 s;
the rule catalogue SARIF describes the rules from, 0.2 s; the templates compiled, 0.12 s. The
process that reviewed has all of it loaded by then but the templates.

The one module of the package that does work when imported: that is its purpose.
"""

from __future__ import annotations

import networkx  # noqa: F401 (graph_layout imports it on first use)

import coderev.reports.markdown_format
import coderev.reports.sarif_format
import coderev.reports.writer  # noqa: F401 (imported for the workers)
from coderev.reports.html_format import report_template
from coderev.reports.markdown_html import code_spans_to_html, markdown_to_html
from coderev.rules import default_catalogue

report_template()
markdown_to_html("")  # the page's two Markdown parsers, built on first use
code_spans_to_html("")
default_catalogue()
