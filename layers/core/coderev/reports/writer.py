"""Writing the chosen report formats into a directory, atomically per file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

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
    if unknown := [f for f in formats if f not in FILENAMES]:
        raise ConfigError(f"unknown report format(s): {', '.join(unknown)}")
    report = to_json_dict(result, gate, generated_at)
    out: dict[str, str] = {}
    for fmt in formats:
        if fmt == "json":
            out[fmt] = dumps_readable(report)
        elif fmt == "sarif":
            from coderev.reports.sarif_format import to_sarif

            out[fmt] = dumps_readable(to_sarif(result), levels=SARIF_LEVELS)
        elif fmt == "md":
            from coderev.reports.markdown_format import to_markdown

            out[fmt] = to_markdown(result, gate)
        else:
            from coderev.reports.html_format import to_html

            out[fmt] = to_html(result, report)
    return out


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
    written: dict[str, Path] = {}
    for fmt, text in render_reports(result, formats, gate).items():
        target = out_dir / FILENAMES[fmt]
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.")
        # mkstemp's 0600 would hide the reports from, e.g., a CI artifact upload step
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
        written[fmt] = target
    return written
