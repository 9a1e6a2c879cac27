"""The terminal: a progress bar on long work, and a short summary at the end.

Everything goes to stderr, so stdout stays free for machine-readable output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from coderev.domain.findings import FindingStatus, Severity

if TYPE_CHECKING:
    from coderev.domain.gate import GateOutcome
    from coderev.domain.report import ReviewResult

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class TerminalProgress:
    """A ProgressSink drawing one bar per stage (hidden when quiet or not a terminal)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> TerminalProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=self._progress.tasks[-1].total or 1)
        self._task = self._progress.add_task(name, total=total)

    def advance(self, units: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, units)


def print_summary(
    console: Console,
    result: ReviewResult,
    written: Mapping[str, Path],
    gate: GateOutcome | None,
) -> None:
    by_sev = Counter(f.severity for f in result.findings)
    new = sum(1 for f in result.findings if f.status is FindingStatus.NEW)
    python = sum(1 for f in result.files if f.language == "python")
    arch = result.architecture
    console.print(
        f"[bold]coderev[/] reviewed [bold]{result.source}[/]: {len(result.files)} files "
        f"({python} Python), {len(arch.modules)} modules, {len(arch.imports)} imports, "
        f"{len(result.skipped)} skipped"
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for sev in Severity:
        table.add_column(sev.value, justify="right", style=_STYLE[sev])
    table.add_row(*(str(by_sev.get(sev, 0)) for sev in Severity))
    console.print(table)
    if result.findings_drift is not None:
        d = result.findings_drift
        console.print(f"vs baseline: {new} new, {d.existing} existing, {len(d.fixed)} fixed")
    console.print(
        f"architecture: {len(arch.cycles)} cycle(s), {len(arch.violations)} contract "
        f"violation(s) in {len(arch.contracts_checked)} contract(s)"
    )
    for comment in result.review.comments[:3]:
        where = f"{comment.path}:{comment.line}" if comment.path else "repository"
        console.print(
            f"  [{_STYLE[comment.severity]}]{comment.severity.value}[/] {where} {comment.title}"
        )
    for kind, path in written.items():
        console.print(f"  {kind:>5} → {path}")
    if gate is not None:
        verdict = "[green]passed[/]" if gate.passed else "[bold red]FAILED[/]"
        console.print(f"gate [bold]{gate.spec}[/]: {verdict}")
        for reason in gate.reasons:
            console.print(f"  {reason}")
