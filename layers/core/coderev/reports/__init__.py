"""Report formats: JSON (versioned schema), SARIF 2.1.0, Markdown and self-contained HTML.

- `writer`: `write_reports` / `render_reports` — every format from one ReviewResult.
- `json_format`: report.json (`schema/report-v1.schema.json`); `baseline_reader`: reading it back.
- `sarif_format`, `markdown_format`: SARIF and the pull-request comment.
- `html_format`: report.html; what it embeds (`html_page`, `coupling_table`), the summary's
  Markdown (`markdown_html`), the dependency graph (`package_graph` chooses, `graph_layout`
  places, `graph_svg` draws).
"""

from __future__ import annotations

from coderev.reports.baseline_reader import Baseline, load_baseline, validate_report
from coderev.reports.json_format import SCHEMA_VERSION, to_json_dict
from coderev.reports.writer import FILENAMES, render_reports, write_reports

__all__ = [
    "FILENAMES",
    "SCHEMA_VERSION",
    "Baseline",
    "load_baseline",
    "render_reports",
    "to_json_dict",
    "validate_report",
    "write_reports",
]
