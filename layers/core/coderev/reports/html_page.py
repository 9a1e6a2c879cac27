"""What report.html embeds, chosen so the page opens fast at any size of review.

A Django-size review has thousands of findings and files: a page holding all of them in full
runs to megabytes and seconds of layout. So, per role (source code first, then tests,
examples, ...), the page shows the first FULL_ROWS findings in full (message and fix hint),
the next ones up to COMPACT_ROWS as a compact table (no hint, message cut short), and says
how many it left out; the file table lists the files with findings, most first, up to
FILE_ROWS; cycles, packages per coupling group and skipped entries are listed up to LIST_ROWS,
and a message or fix hint up to TEXT_CHARS characters. The page says what it left out and
that report.json has everything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from coderev.domain.findings import Severity
from coderev.domain.roles import FileRole
from coderev.reports.package_graph import MAX_NODES

FULL_ROWS = 100
COMPACT_ROWS = 600
FILE_ROWS = 200
COMPACT_MESSAGE = 140  # characters of a message in the compact table
LIST_ROWS = 500  # a project with thousands of packages, cycles or skipped files stays readable
TEXT_CHARS = 2_000  # a message holding a whole minified line does not make the page megabytes


@dataclass(frozen=True, slots=True)
class PageLimits:
    """How much the page embeds; `everything()` is the page without limits (for comparison)."""

    full_rows: int = FULL_ROWS  # findings per role shown in full
    compact_rows: int = COMPACT_ROWS  # findings per role shown shortened after those
    file_rows: int = FILE_ROWS  # files with findings listed
    graph_nodes: int = MAX_NODES  # packages drawn besides those on import cycles
    list_rows: int = LIST_ROWS  # cycles, packages per coupling group, skipped entries
    text_chars: int = TEXT_CHARS  # of one finding's message or fix hint

    @classmethod
    def everything(cls) -> PageLimits:
        unlimited = 1 << 62
        return cls(unlimited, 0, unlimited, unlimited, unlimited, unlimited)


_TITLES = {
    FileRole.SOURCE: "Source code",
    FileRole.TEST: "Tests",
    FileRole.EXAMPLE: "Examples",
    FileRole.DOCS: "Documentation",
    FileRole.BUILD: "Build scripts",
    FileRole.GENERATED: "Generated code",
}
_RANK = {s.value: s.rank for s in Severity}


@dataclass(frozen=True, slots=True)
class FindingsSection:
    role: str
    title: str
    total: int
    full: tuple[dict[str, Any], ...]  # report.json finding dicts
    compact: tuple[dict[str, Any], ...]  # the same, "message" cut to COMPACT_MESSAGE

    @property
    def left_out(self) -> int:
        return self.total - len(self.full) - len(self.compact)


@dataclass(frozen=True, slots=True)
class FilesShown:
    rows: tuple[dict[str, Any], ...]  # report.json file dicts with "findings" and "worst" added
    with_findings: int
    total: int


def _cut(text: str, limit: int = COMPACT_MESSAGE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _order(f: dict[str, Any]) -> tuple[bool, int, str, int]:
    return (f["status"] != "new", -_RANK.get(f["severity"], 0), f["path"], f["line"])


def findings_sections(
    findings: Sequence[dict[str, Any]],
    full_rows: int = FULL_ROWS,
    compact_rows: int = COMPACT_ROWS,
) -> tuple[FindingsSection, ...]:
    """One section per file role that has findings, source first; worst findings first."""
    by_role: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_role.setdefault(f.get("role", FileRole.SOURCE.value), []).append(f)
    sections = []
    for role in FileRole:
        rows = sorted(by_role.get(role.value, ()), key=_order)
        if not rows:
            continue
        compact = rows[full_rows : full_rows + compact_rows]
        sections.append(
            FindingsSection(
                role=role.value,
                title=_TITLES[role],
                total=len(rows),
                full=tuple(rows[:full_rows]),
                compact=tuple({**f, "message": _cut(f["message"])} for f in compact),
            )
        )
    return tuple(sections)


def collapsed_section(
    findings: Sequence[dict[str, Any]], full_rows: int, compact_rows: int, title: str
) -> tuple[FindingsSection, ...]:
    """The findings of the project's low-acceptance rules as one section of their own (role
    "collapsed": the page shows it closed), worst first; none when there are none."""
    if not findings:
        return ()
    rows = sorted(findings, key=_order)
    compact = rows[full_rows : full_rows + compact_rows]
    return (FindingsSection(role="collapsed", title=title, total=len(rows),
                            full=tuple(rows[:full_rows]),
                            compact=tuple({**f, "message": _cut(f["message"])}
                                          for f in compact)),)  # fmt: skip


def files_shown(
    files: Sequence[dict[str, Any]],
    findings: Sequence[dict[str, Any]],
    total: int,
    max_rows: int = FILE_ROWS,
) -> FilesShown:
    """The files with findings, most findings first, each with its most complex function;
    `total`: the files reviewed (`files` may hold only those with findings)."""
    counts = Counter(f["path"] for f in findings)
    with_findings = [f for f in files if counts[f["path"]]]
    with_findings.sort(key=lambda f: (-counts[f["path"]], f["path"]))
    rows = []
    for f in with_findings[:max_rows]:
        functions = (f.get("metrics") or {}).get("functions", [])
        worst = max(functions, key=lambda fn: fn["complexity"], default=None)
        rows.append({**f, "findings": counts[f["path"]], "worst": worst})
    return FilesShown(rows=tuple(rows), with_findings=len(with_findings), total=total)
