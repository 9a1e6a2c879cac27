"""What `coderev review` shows of its analysis on the platform: in a log, each state once; in a
terminal, one transient line with the running Map's progress, and nothing left behind."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from coderev.console import StateProgress

# A review's history in the order the platform records it (abridged): the Map's 3 iterations
# each enter AnalyzeShard, Ruff runs beside them, and the last iteration ends before the first.
HISTORY: list[tuple[str, dict[str, Any]]] = [
    ("ExecutionStarted", {}),
    ("TaskStateEntered", {"name": "Index"}),
    ("TaskStateExited", {"name": "Index"}),
    ("ParallelStateEntered", {"name": "Analyze"}),
    ("MapStateEntered", {"name": "AnalyzeShards"}),
    ("MapStateStarted", {"length": 3}),
    ("TaskStateEntered", {"name": "Ruff"}),
    *[("MapIterationStarted", {"index": i}) for i in range(3)],
    *[("TaskStateEntered", {"name": "AnalyzeShard"}) for _ in range(3)],
    ("MapIterationSucceeded", {"index": 2}),
    ("MapIterationSucceeded", {"index": 0}),
]
AFTER = [
    ("MapIterationSucceeded", {"index": 1}),
    ("MapStateSucceeded", {}),
    ("TaskStateEntered", {"name": "Architecture"}),
    ("SucceedStateEntered", {"name": "Succeeded"}),
    ("ExecutionSucceeded", {}),
]


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def test_a_log_gets_each_state_once_in_the_order_first_entered() -> None:
    console, out = _console(terminal=False)
    with StateProgress(console) as progress:
        for type_, details in HISTORY + AFTER:
            progress.event(type_, details)
    assert out.getvalue().split() == ["Index", "Analyze", "AnalyzeShards", "Ruff",
                                      "AnalyzeShard", "Architecture", "Succeeded"]  # fmt: skip


def test_a_terminal_gets_a_transient_line_with_the_maps_progress() -> None:
    console, out = _console(terminal=True)
    with StateProgress(console) as progress:
        for type_, details in HISTORY:
            progress.event(type_, details)
        assert progress.shown() == "AnalyzeShards 2/3"  # two of its three iterations ended
        for type_, details in AFTER:
            progress.event(type_, details)
        assert progress.shown() == "Succeeded"
    console.print("summary")
    # the status line is erased when the review ends: the summary is what stays on screen
    assert out.getvalue().rstrip().endswith("summary")
    assert "AnalyzeShard\n" not in out.getvalue()


def test_quiet_shows_nothing() -> None:
    for terminal in (False, True):
        console, out = _console(terminal)
        with StateProgress(console, enabled=False) as progress:
            for type_, details in HISTORY + AFTER:
                progress.event(type_, details)
        assert out.getvalue() == ""
