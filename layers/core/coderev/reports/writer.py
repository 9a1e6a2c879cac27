"""Writing the chosen report formats into a directory, atomically per file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from coderev.domain.errors import ConfigError
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult
from coderev.reports.json_format import to_json_dict
from coderev.reports.json_text import dumps_readable

SARIF_LEVELS = 6  # runs, tool, driver and the rules list laid out; a rule or result per line

FILENAMES = {
    "json": "report.json",
    "sarif": "report.sarif",
    "md": "report.md",
    "html": "report.html",
}


def render_reports(
    result: ReviewResult,
    formats: Sequence[str] = tuple(FILENAMES),
    gate: GateOutcome | None = None,
    generated_at: str | None = None,
) -> dict[str, str]:
    """Each requested format's text, keyed by format name."""
    return dict(render_each(result, formats, gate, generated_at))


def render_each(
    result: ReviewResult,
    formats: Sequence[str] = tuple(FILENAMES),
    gate: GateOutcome | None = None,
    generated_at: str | None = None,
) -> Iterator[tuple[str, str]]:
    """(format, text) for each requested format, one at a time, report.json and report.html
    first: a caller that writes each text before it asks for the next holds one report in
    memory, not four (Django's: 10 MB of JSON, several of SARIF and HTML), and report.json's
    document, which both are made from, is let go once they are rendered."""
    if unknown := [f for f in formats if f not in FILENAMES]:
        raise ConfigError(f"unknown report format(s): {', '.join(unknown)}")
    formats = list(dict.fromkeys(formats))  # each once
    report: dict[str, Any] | None = None
    needs_document = [f for f in formats if f in ("json", "html")]
    for fmt in (*needs_document, *(f for f in formats if f not in needs_document)):
        if fmt in needs_document and report is None:
            report = to_json_dict(result, gate, generated_at)
        if fmt == "json":
            assert report is not None
            text = dumps_readable(report)
        elif fmt == "sarif":
            from coderev.reports.sarif_format import to_sarif

            text = dumps_readable(to_sarif(result), levels=SARIF_LEVELS)
        elif fmt == "md":
            from coderev.reports.markdown_format import to_markdown

            text = to_markdown(result, gate)
        else:
            from coderev.reports.html_format import to_html

            assert report is not None
            text = to_html(result, report)
        if fmt in needs_document:
            needs_document.remove(fmt)
            if not needs_document:
                report = None
        yield fmt, text
        del text


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_reports(
    result: ReviewResult,
    out_dir: Path,
    formats: Sequence[str] = tuple(FILENAMES),
    gate: GateOutcome | None = None,
) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for fmt, text in render_each(result, formats, gate):
        target = out_dir / FILENAMES[fmt]
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.")
        # mkstemp's 0600 would hide the reports from, e.g., a CI artifact upload step
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
        del text
    return {fmt: out_dir / FILENAMES[fmt] for fmt in formats}
