"""Writing the chosen report formats into a directory, atomically per file.

A review's worker pool is idle while its reports are rendered, one after another, at the end
of every review. Given `submit` (coderev.pipeline.parallel.running_pool's), report.json is
rendered here while one worker renders report.html and another report.sarif and report.md.
A worker is sent what its formats read, pickled once: the ReviewResult without the files'
metrics (they are two thirds of its pickle, and only report.json's document carries them),
and, for report.html, the part of that document the page reads (html_format.page_document).
The texts are those rendering here gives, byte for byte; an error in a worker is raised here
as it would have been; a worker that dies leaves its formats to this process.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

from coderev.domain.errors import ConfigError
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult
from coderev.reports.json_format import generated_now, to_json_dict
from coderev.reports.json_text import dumps_readable

SARIF_LEVELS = 6  # runs, tool, driver and the rules list laid out; a rule or result per line

FILENAMES = {
    "json": "report.json",
    "sarif": "report.sarif",
    "md": "report.md",
    "html": "report.html",
}
# What a pool's forkserver imports for the workers to render with (see html_warm).
WORKER_PRELOAD = "coderev.reports.html_warm"

# submit(fn, *args): fn(*args) on a worker pool, or None when there is none.
Submit = Callable[..., "Future[Any] | None"]


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
    *,
    submit: Submit | None = None,
) -> Iterator[tuple[str, str]]:
    """(format, text) for each requested format, one at a time, report.json and report.html
    first: a caller that writes each text before it asks for the next holds one report in
    memory, not four (Django's: 10 MB of JSON, several of SARIF and HTML), and report.json's
    document, which both are made from, is let go once they are rendered.

    With `submit`, the formats other than report.json are rendered on its pool (see the module
    docstring), when that lets two or more render at once: each text then comes back whole
    from its worker and waits, until asked for, beside the one being written (on Django this
    process's peak is about 10 MB higher)."""
    if unknown := [f for f in formats if f not in FILENAMES]:
        raise ConfigError(f"unknown report format(s): {', '.join(unknown)}")
    formats = list(dict.fromkeys(formats))  # each once
    needs_document = [f for f in formats if f in ("json", "html")]
    order = [*needs_document, *(f for f in formats if f not in needs_document)]
    groups = _worker_groups(order) if submit is not None else []
    if submit is not None and len(groups) + ("json" in order) >= 2:
        yield from _render_on_pool(result, order, groups, gate, generated_at, submit)
        return
    report: dict[str, Any] | None = None
    for fmt in order:
        if fmt in needs_document and report is None:
            report = to_json_dict(result, gate, generated_at)
        text = _render(fmt, result, gate, report)
        if fmt in needs_document:
            needs_document.remove(fmt)
            if not needs_document:
                report = None
        yield fmt, text
        del text


def _render(
    fmt: str, result: ReviewResult, gate: GateOutcome | None, report: dict[str, Any] | None
) -> str:
    """One format's text; `report`, report.json's document, for json and html."""
    if fmt == "json":
        assert report is not None
        return dumps_readable(report)
    if fmt == "sarif":
        from coderev.reports.sarif_format import to_sarif

        return dumps_readable(to_sarif(result), levels=SARIF_LEVELS)
    if fmt == "md":
        from coderev.reports.markdown_format import to_markdown

        return to_markdown(result, gate)
    from coderev.reports.html_format import to_html

    assert report is not None
    return to_html(result, report)


def _worker_groups(order: Sequence[str]) -> list[tuple[str, ...]]:
    """The formats each worker renders: report.html alone (the longest), SARIF and Markdown
    together (Markdown takes milliseconds); report.json is rendered here."""
    groups: list[tuple[str, ...]] = [("html",)] if "html" in order else []
    if rest := tuple(f for f in order if f in ("sarif", "md")):
        groups.append(rest)
    return groups


def _render_on_pool(
    result: ReviewResult,
    order: Sequence[str],
    groups: Sequence[tuple[str, ...]],
    gate: GateOutcome | None,
    generated_at: str | None,
    submit: Submit,
) -> Iterator[tuple[str, str]]:
    # one time for report.json and a report.html rendered here after all (its worker died)
    stamp = generated_at or generated_now()
    # pickled here, not by the pool's feeder thread: that thread's allocations stay in an
    # arena of its own (on Django 7-10 MB more at the process's peak)
    inputs = _pickled((_without_metrics(result), gate))
    report: dict[str, Any] | None = None
    sent: dict[tuple[str, ...], Future[dict[str, str]] | None] = {}
    try:
        for group in sorted(groups, key=lambda g: "html" in g):  # html's waits for the document
            page = None
            if "html" in group:
                from coderev.reports.html_format import page_document

                report = to_json_dict(result, gate, stamp)
                page = _pickled(page_document(report))
            sent[group] = submit(_render_in_worker, inputs, group, page)
            del page
        del inputs
        # the document is let go once report.json is rendered, unless report.html is to be
        # rendered here from it (the pool broke); the worker rendering report.html has its own
        html_here = any("html" in g and f is None for g, f in sent.items())
        if "json" not in order and not html_here:
            report = None

        def document() -> dict[str, Any]:
            return report if report is not None else to_json_dict(result, gate, stamp)

        texts: dict[str, str] = {}
        for fmt in order:
            if fmt == "json":
                report = document()
                text = dumps_readable(report)
                if not html_here:
                    report = None
            else:
                if fmt not in texts:
                    group = next(g for g in sent if fmt in g)
                    texts = _collect(sent[group], group, result, gate, document)
                text = texts.pop(fmt)
                if fmt == "html":
                    report = None
            yield fmt, text
            del text
    finally:
        for future in sent.values():
            if future is not None:
                future.cancel()  # the caller stopped early: a queued render is nobody's now


def _collect(
    future: Future[dict[str, str]] | None,
    group: tuple[str, ...],
    result: ReviewResult,
    gate: GateOutcome | None,
    document: Callable[[], dict[str, Any]],
) -> dict[str, str]:
    """The group's texts from its worker; rendered here when the pool could not take them
    (broken meanwhile), or their worker died. An error the rendering raised in the worker is
    raised here."""
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:
            pass
    report = document() if "html" in group else None
    return {fmt: _render(fmt, result, gate, report) for fmt in group}


def _pickled(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _render_in_worker(
    inputs: bytes, formats: tuple[str, ...], page: bytes | None
) -> dict[str, str]:
    """A worker's task: `formats` rendered from the pickled (ReviewResult, gate) and, for
    report.html, its page_document."""
    result, gate = pickle.loads(inputs)  # noqa: S301 - pickled by the process that sent it
    report = None if page is None else pickle.loads(page)  # noqa: S301 - as above
    return {fmt: _render(fmt, result, gate, report) for fmt in formats}


def _without_metrics(result: ReviewResult) -> ReviewResult:
    """`result` without its files' metrics, for a worker: report.json's document carries them
    (report.html is rendered from it); SARIF and Markdown read a file's path and role only."""
    return replace(result, files=tuple(replace(f, metrics=None) for f in result.files))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_reports(
    result: ReviewResult,
    out_dir: Path,
    formats: Sequence[str] = tuple(FILENAMES),
    gate: GateOutcome | None = None,
    *,
    submit: Submit | None = None,
) -> dict[str, Path]:
    """The formats' files in `out_dir`; `submit`: a worker pool to render on (see render_each)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for fmt, text in render_each(result, formats, gate, submit=submit):
        target = out_dir / FILENAMES[fmt]
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=f".{target.name}.")
        # mkstemp's 0600 would hide the reports from, e.g., a CI artifact upload step
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
        del text
    return {fmt: out_dir / FILENAMES[fmt] for fmt in formats}
