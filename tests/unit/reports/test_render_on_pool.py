"""Reports rendered on a worker pool: the texts rendering in-process gives, byte for byte, in
the same order; a worker's error raised as in-process; no pool, or a dead worker, rendered
here."""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult
from coderev.reports import json_format, render_reports, write_reports, writer
from coderev.reports.writer import FILENAMES, render_each

STAMP = "2026-02-03T04:05:06+00:00"
GATE = GateOutcome(spec="new-high", passed=False, reasons=("3 new findings at or above high",))


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    context = multiprocessing.get_context("forkserver")  # as coderev.pipeline.parallel's
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as executor:
        yield executor


class Recording:
    """A pool's submit that notes which formats each task renders."""

    def __init__(self, pool: ProcessPoolExecutor | None) -> None:
        self.pool = pool
        self.tasks: list[tuple[str, ...]] = []

    def __call__(self, fn: Any, *args: Any) -> Future[Any] | None:
        self.tasks.append(args[1])
        return None if self.pool is None else self.pool.submit(fn, *args)


@pytest.mark.parametrize("which", ["sample", "built", "baseline"])
@pytest.mark.parametrize(
    "formats", [tuple(FILENAMES), ("md", "sarif", "json"), ("html", "sarif"), ("json", "html")]
)
def test_the_pool_renders_what_this_process_renders(
    pool: ProcessPoolExecutor,
    sample_result: ReviewResult,
    built_result: ReviewResult,
    sample_with_baseline: ReviewResult,
    which: str,
    formats: tuple[str, ...],
) -> None:
    result = {"sample": sample_result, "built": built_result,
              "baseline": sample_with_baseline}[which]  # fmt: skip
    here = list(render_each(result, formats, GATE, STAMP))
    submit = Recording(pool)
    pooled = list(render_each(result, formats, GATE, STAMP, submit=submit))
    assert [fmt for fmt, _ in pooled] == [fmt for fmt, _ in here]
    for (fmt, text), (_, expected) in zip(pooled, here, strict=True):
        assert text == expected, fmt
    assert {f for task in submit.tasks for f in task} == set(formats) - {"json"}


def test_one_format_at_a_time_is_rendered_here(built_result: ReviewResult) -> None:
    submit = Recording(None)
    assert dict(render_each(built_result, ("html",), submit=submit))
    assert submit.tasks == []


def test_without_a_pool_everything_is_rendered_here(built_result: ReviewResult) -> None:
    submit = Recording(None)  # the pool broke (or was shut down) since it was looked up
    got = dict(render_each(built_result, gate=GATE, generated_at=STAMP, submit=submit))
    assert got == render_reports(built_result, gate=GATE, generated_at=STAMP)
    assert submit.tasks  # asked for one, and rendered here when there was none


def broken(fn: Any, *args: Any) -> Future[Any]:
    """A submit whose worker dies (killed, out of memory)."""
    future: Future[Any] = Future()
    future.set_exception(BrokenProcessPool("a worker died"))
    return future


def test_a_dead_workers_formats_are_rendered_here(built_result: ReviewResult) -> None:
    got = dict(render_each(built_result, gate=GATE, generated_at=STAMP, submit=broken))
    assert got == render_reports(built_result, gate=GATE, generated_at=STAMP)


def test_report_json_and_html_tell_one_time(
    built_result: ReviewResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticks = iter(f"2026-01-01T00:00:0{i}+00:00" for i in range(10))  # a clock that moves on
    for module in (json_format, writer):
        monkeypatch.setattr(module, "generated_now", lambda: next(ticks))
    got = dict(render_each(built_result, ("json", "html"), submit=broken))
    stamp = json.loads(got["json"])["generated_at"]
    assert f"· {stamp}</div>" in got["html"]


def test_a_workers_error_is_raised_as_it_is_here(
    pool: ProcessPoolExecutor, built_result: ReviewResult
) -> None:
    # no summary: report.json is written (null), report.html's Markdown raises TypeError
    bad = replace(built_result, review=replace(built_result.review, summary=None))  # type: ignore[arg-type]
    here = render_each(bad, ("json", "html"), generated_at=STAMP)
    pooled = render_each(bad, ("json", "html"), generated_at=STAMP, submit=pool.submit)
    assert next(pooled) == next(here)  # report.json renders, report.html cannot
    with pytest.raises(TypeError) as in_process:
        next(here)
    with pytest.raises(TypeError) as on_pool:
        next(pooled)
    assert str(on_pool.value) == str(in_process.value)


def test_write_reports_on_a_pool_writes_the_same_files(
    pool: ProcessPoolExecutor, sample_result: ReviewResult, tmp_path: Path
) -> None:
    here = write_reports(sample_result, tmp_path / "here", gate=GATE)
    pooled = write_reports(sample_result, tmp_path / "pool", gate=GATE, submit=pool.submit)
    assert list(pooled) == list(here)
    for fmt in ("sarif", "md"):  # the others carry the time they were made
        assert pooled[fmt].read_bytes() == here[fmt].read_bytes()
