"""The terminal: a progress bar on long work, and a short summary at the end.

Everything goes to stderr, so stdout stays free for machine-readable output.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from coderev.domain.findings import Severity

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


class StateProgress:
    """What `coderev review` shows while its analysis runs on the platform, from its
    execution's history events (`event`): in a terminal, one transient status line (the state
    last entered; during a Map, its iterations ended of its items) that is gone when the review
    ends, as the direct engine's bars are; elsewhere (a CI log), each state's name once, when
    first entered, not once per Map iteration (Django's review entered AnalyzeShard 18 times).
    Nothing when not enabled (--quiet)."""

    def __init__(self, console: Console, enabled: bool = True) -> None:
        live = enabled and console.is_terminal
        self._console = console
        self._status = console.status("coderev: starting", spinner="dots") if live else None
        self._lines = enabled and not console.is_terminal
        self._named: set[str] = set()
        self._state = ""
        self._map: tuple[str, int, int] | None = None  # the running Map: name, ended, items

    def __enter__(self) -> StateProgress:
        if self._status is not None:
            self._status.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._status is not None:
            self._status.stop()

    def event(self, type_: str, details: Mapping[str, Any]) -> None:
        """One history event: `type_` as AWS names it, `details` its fields."""
        if type_.endswith("StateEntered"):
            self._state = str(details.get("name", ""))
            if self._lines and self._state not in self._named:
                self._named.add(self._state)
                self._console.print(f"  {escape(self._state)}", highlight=False)
        elif type_ == "MapStateStarted":
            self._map = (self._state, 0, int(details.get("length", 0)))
        elif type_ in ("MapIterationSucceeded", "MapIterationFailed") and self._map:
            name, ended, items = self._map
            self._map = (name, ended + 1, items)
        elif type_ in ("MapStateSucceeded", "MapStateFailed"):
            self._map = None
        else:
            return
        if self._status is not None:
            self._status.update(f"[bold]coderev[/]: {escape(self.shown())}")

    def shown(self) -> str:
        """The status line's text: a running Map's progress, else the state last entered."""
        if self._map is not None:
            name, ended, items = self._map
            return f"{name} {ended}/{items}"
        return self._state


def print_unchecked_contracts(console: Console, report: Mapping[str, Any]) -> None:
    """One line per configured contract that was not checked and per contract warning (printed
    even with --quiet: a contract must never disappear without a word); `report` is a
    report.json document or its summary (summary_of)."""
    for u in report["architecture"].get("contracts_unsupported", ()):
        console.print(
            f"  [bold yellow]not checked[/]: contract {escape(repr(u['name']))} (type "
            f"{escape(u['type'])}, {escape(u['source'])}): {escape(u['reason'])}",
            highlight=False,
        )
    for w in report["architecture"].get("contract_warnings", ()):
        console.print(
            f"  [bold yellow]{escape(w['level'])}[/]: contract {escape(repr(w['contract']))}: "
            f"{escape(w['message'])}",
            highlight=False,
        )


def _print_ai_review(console: Console, ai: Mapping[str, Any] | None) -> None:
    """One line on the AI review, when one was asked for: who reviewed, at what cost."""
    if ai is None:
        return
    if ai["mode"] == "offline":
        console.print(f"AI review ({ai['requested']}): {ai['note']}; offline reviewer only",
                      highlight=False)  # fmt: skip
        return
    totals = ai["totals"]
    failed = f", [bold red]{totals['failed']} failed[/]" if totals["failed"] else ""
    models = ", ".join(ai["models"]) or "no model"
    console.print(
        f"AI review ({ai['requested']}): {totals['chunks']} chunk(s){failed} by {models}; "
        f"{totals['input_tokens']:,} tokens in, {totals['output_tokens']:,} out, "
        f"${totals['cost_usd']:.4f}",
        highlight=False,
    )


def print_summary(
    console: Console, summary: Mapping[str, Any], written: Mapping[str, Path]
) -> None:
    """The end-of-run summary, read from a report's summary (coderev.reports.json_format.
    summary_of): the same lines whichever engine (direct or the platform) produced the report."""
    counts = summary["summary"]
    arch = summary["architecture"]
    console.print(
        f"[bold]coderev[/] reviewed [bold]{summary['source']}[/]: {counts['files']} files "
        f"({counts['python_files']} Python{_roles(counts)}), {arch['modules']} modules, "
        f"{arch['imports']} imports, {counts['skipped']} skipped"
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for sev in Severity:
        table.add_column(sev.value, justify="right", style=_STYLE[sev])
    table.add_row(*(str(counts["by_severity"].get(sev.value, 0)) for sev in Severity))
    console.print(table)
    drift = summary.get("drift")
    if drift is not None:
        console.print(
            f"vs baseline: {drift['new']} new, {drift['existing']} existing, {drift['fixed']} fixed"
        )
    console.print(
        f"architecture: {arch['cycles']} cycle(s), {arch['violations']} contract "
        f"violation(s) in {arch['contracts_checked']} contract(s)"
    )
    print_unchecked_contracts(console, summary)
    # tests never crowd the product out of the top lines (see coderev.review.ranking)
    for comment in summary["comments"]:
        where = f"{comment['path']}:{comment['line']}" if comment["path"] else "repository"
        style = _STYLE[Severity(comment["severity"])]
        console.print(f"  [{style}]{comment['severity']}[/] {where} {comment['title']}")
    _print_ai_review(console, summary.get("ai"))
    for kind, path in written.items():
        console.print(f"  {kind:>5} → {path}")
    gate = counts.get("gate")
    if gate is not None:
        verdict = "[green]passed[/]" if gate["passed"] else "[bold red]FAILED[/]"
        counted = ", ".join(gate.get("roles", ["source"]))
        console.print(f"gate [bold]{gate['spec']}[/] ({counted} files): {verdict}")
        for reason in gate["reasons"]:
            console.print(f"  {reason}")


def _roles(summary: Mapping[str, Any]) -> str:
    """The files per role ("; 978 source, 1950 test, 8 docs"), when not all are source."""
    counts = {role: c["files"] for role, c in summary.get("by_role", {}).items() if c["files"]}
    if set(counts) <= {"source"}:
        return ""
    return "; " + ", ".join(f"{n} {role}" for role, n in counts.items())
