"""Ranking and caps: which findings and comments a reader sees first, and how many at most.

Product code comes first: every finding and comment about a source file is ranked before
those about tests, examples, docs, build scripts or generated code, whatever their severity
(a test's "high" says less about the product than a source file's "medium"). Within each of
the two, comments are ordered by severity, then by how sure they are (their rule's catalogue
precision: a very-high-precision medium before a medium-precision medium; a function four
times past a threshold is surer than any rule), then
category weight (security > bug-risk > architecture > maintainability > style), then new
before existing, then hot spots (files with more findings, then higher total complexity), then
path and line so the order is stable.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from coderev.domain.findings import Category, Finding, FindingStatus
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.review import ReviewComment
from coderev.domain.roles import FileRole

CATEGORY_WEIGHT: dict[Category, int] = {
    Category.SECURITY: 4,
    Category.BUG_RISK: 3,
    Category.ARCHITECTURE: 2,
    Category.MAINTAINABILITY: 1,
    Category.STYLE: 0,
}
DEFAULT_MAX_PER_FILE = 5
DEFAULT_MAX_TOTAL = 25


def product_first(role: FileRole) -> int:
    """The first sort key of findings and comments: 0 for source, 1 for every other role."""
    return 0 if role is FileRole.SOURCE else 1


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings as reports list them: source first, then severity desc, category weight desc,
    path, line."""
    return sorted(
        findings,
        key=lambda f: (
            product_first(f.role), -f.severity.rank, -CATEGORY_WEIGHT[f.category], f.path,
            f.line, f.rule_id, f.fingerprint,
        ),
    )


@dataclass(frozen=True, slots=True, order=True)
class Heat:
    """How hot a file is: more findings first, then more total cyclomatic complexity."""

    findings: int = 0
    complexity: int = 0


def hot_spots(findings: Iterable[Finding], files: Iterable[SourceFileInfo]) -> dict[str, Heat]:
    """Heat per file path, for every file with findings or metrics."""
    counts = Counter(f.path for f in findings)
    complexity = {i.path: i.metrics.complexity for i in files if i.metrics is not None}
    return {
        path: Heat(findings=counts.get(path, 0), complexity=complexity.get(path, 0))
        for path in counts.keys() | complexity.keys()
    }


def top_risks(ranked: Sequence[ReviewComment], limit: int) -> list[ReviewComment]:
    """The first `limit` of `ranked` a reader is told about first: about source files only,
    unless no comment is; tests never crowd out the product."""
    source = [c for c in ranked if c.role is FileRole.SOURCE]
    return list((source or ranked)[:limit])


def rank_comments(
    comments: Iterable[ReviewComment],
    findings: Sequence[Finding],
    files: Sequence[SourceFileInfo] = (),
    confidence: Callable[[Sequence[Finding]], int] | None = None,
) -> list[ReviewComment]:
    """Comments in reading order (see the module docstring).

    A comment is new when any finding it is about is new; its findings are looked up in
    `findings` by fingerprint (a comment about no known finding counts as new).
    `confidence(findings)` ranks how sure a comment's findings are (higher first); without
    it, all comments rank alike.
    """
    status = {f.fingerprint: f.status for f in findings}
    by_print = {f.fingerprint: f for f in findings}
    heat = hot_spots(findings, files)

    def trust(c: ReviewComment) -> int:
        if confidence is None:
            return 0
        return confidence([by_print[fp] for fp in c.fingerprints if fp in by_print])

    def key(c: ReviewComment) -> tuple[int, int, int, int, int, int, int, str, int, str]:
        is_new = not c.fingerprints or any(
            status.get(fp, FindingStatus.NEW) is FindingStatus.NEW for fp in c.fingerprints
        )
        h = heat.get(c.path, Heat())
        return (
            product_first(c.role), -c.severity.rank, -trust(c), -CATEGORY_WEIGHT[c.category],
            0 if is_new else 1,
            -h.findings, -h.complexity, c.path, c.line, c.title,
        )

    return sorted(comments, key=key)


def cap_comments(
    ranked: Sequence[ReviewComment],
    max_per_file: int = DEFAULT_MAX_PER_FILE,
    max_total: int = DEFAULT_MAX_TOTAL,
) -> tuple[list[ReviewComment], int]:
    """The first comments of `ranked` within both caps, and how many were dropped.

    Repository-wide comments (path "") share one per-file allowance.
    """
    kept: list[ReviewComment] = []
    per_file: Counter[str] = Counter()
    for comment in ranked:
        if len(kept) >= max_total or per_file[comment.path] >= max_per_file:
            continue
        per_file[comment.path] += 1
        kept.append(comment)
    return kept, len(ranked) - len(kept)
