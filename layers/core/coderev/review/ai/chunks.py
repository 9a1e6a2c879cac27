"""Chunks: what one model call reviews, built within a token budget from the ranked files.

A chunk holds parts of one or more files (line spans, shown numbered), the static findings
on those lines and the files' architecture facts; its rendered prompt stays within
`ChunkBudget.tokens`. Files are taken in rank order (coderev.review.ai.attention): a file
that fits whole goes whole; a longer one is cut to windows around its hottest functions and
findings; what does not fit any more, or past `ChunkBudget.chunks`, is recorded as not
reviewed, with its reason. Nothing is left out silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from coderev.domain.ai_review import ChunkSpan, NotReviewed
from coderev.domain.architecture import ArchitectureResult
from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.roles import FileRole
from coderev.review.ai.attention import NEVER_SENT, Target, hot_functions, rank_targets
from coderev.review.ai.prompt import Prompt
from coderev.review.ai.settings import ChunkBudget
from coderev.review.ai.tokens import TokenCounter

__all__ = ["Chunk", "ChunkBudget", "ChunkFile", "ChunkPlan", "plan_chunks", "render_chunk"]

WINDOW = 12  # lines shown either side of a finding outside any function
MAX_LINE_CHARS = 400  # a minified line is cut: its tokens would crowd out the rest


@dataclass(frozen=True, slots=True)
class ChunkFile:
    """A span of one file, with its lines' text."""

    path: str
    role: FileRole
    start: int  # 1-based, inclusive
    total_lines: int
    lines: tuple[str, ...]
    facts: tuple[str, ...] = ()  # architecture facts and why the file was chosen

    @property
    def end(self) -> int:
        return self.start + len(self.lines) - 1


@dataclass(frozen=True, slots=True)
class Chunk:
    index: int
    files: tuple[ChunkFile, ...]
    findings: tuple[Finding, ...]  # the static findings on the lines shown
    tokens: int  # the rendered prompt's count

    @property
    def spans(self) -> tuple[ChunkSpan, ...]:
        return tuple(ChunkSpan(f.path, f.start, f.end) for f in self.files)

    def shows(self, path: str, line: int) -> bool:
        return any(f.path == path and f.start <= line <= f.end for f in self.files)


@dataclass(frozen=True, slots=True)
class ChunkPlan:
    chunks: tuple[Chunk, ...]
    not_reviewed: tuple[NotReviewed, ...]


def render_chunk(prompt: Prompt, files: Sequence[ChunkFile], findings: Sequence[Finding]) -> str:
    """The user message of a chunk (see coderev.review.ai.prompt for its shape)."""
    code = "\n".join(_render_file(f) for f in files)
    listed = [
        {"id": f"F{n}", "file": f.path, "line": f.line, "rule": f.rule_id,
         "severity": f.severity.value, "category": f.category.value, "message": f.message,
         "status": f.status.value}
        for n, f in enumerate(findings, start=1)
    ]  # fmt: skip
    facts = [f"{f.path}: {fact}" for f in files for fact in f.facts]
    rows = ",\n".join(json.dumps(item, ensure_ascii=False) for item in listed)
    return prompt.render_user(
        code, f"[\n{rows}\n]" if rows else "[]", "\n".join(dict.fromkeys(facts)) or "(none)"
    )


def _render_file(f: ChunkFile) -> str:
    width = len(str(f.end))
    body = "\n".join(
        f"{n:>{width}} | {text[:MAX_LINE_CHARS]}".rstrip()
        for n, text in enumerate(f.lines, start=f.start)
    )
    head = (f'<file path="{f.path}" role="{f.role.value}" lines="{f.start}-{f.end}" '
            f'of="{f.total_lines}">')  # fmt: skip
    return f"{head}\n{body}\n</file>"


def plan_chunks(
    files: Sequence[SourceFileInfo],
    findings: Sequence[Finding],
    architecture: ArchitectureResult,
    sources: Mapping[str, bytes],
    prompt: Prompt,
    count: TokenCounter,
    budget: ChunkBudget | None = None,
    *,
    baseline: bool = False,
) -> ChunkPlan:
    """The chunks to review, in rank order, and what is not reviewed (see the docstring)."""
    budget = budget or ChunkBudget()
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    not_reviewed = [
        NotReviewed(i.path, f"{i.role.value} file: not sent to a model")
        for i in files if i.role in NEVER_SENT and i.metrics is not None
    ]  # fmt: skip
    not_reviewed += [
        NotReviewed(i.path, "not analysed code (no metrics): not sent to a model")
        for i in files if i.metrics is None and i.role not in NEVER_SENT and i.language != ""
        and i.language in _CODE_LANGUAGES
    ]  # fmt: skip
    info_of = {i.path: i for i in files}
    system = count(prompt.system)
    empty = count(render_chunk(prompt, (), ()))
    room = budget.tokens - system - empty

    def cost(parts: Sequence[ChunkFile]) -> int:
        """The rendered prompt's tokens with `parts` (system and user message)."""
        return system + count(render_chunk(prompt, parts, _findings_on(parts, by_path)))

    def part_cost(part: ChunkFile) -> int:
        return cost([part]) - system - empty

    chunks: list[Chunk] = []
    pending: list[ChunkFile] = []
    used = 0

    def close() -> None:
        nonlocal pending, used
        if pending:
            chunks.append(Chunk(len(chunks), tuple(pending), _findings_on(pending, by_path), used))
        pending, used = [], 0

    targets = rank_targets(files, findings, architecture, baseline=baseline)
    for n, target in enumerate(targets):
        if len(chunks) >= budget.chunks:
            not_reviewed += [
                NotReviewed(t.path, f"over the review's limit of {budget.chunks} model calls")
                for t in targets[n:]
            ]  # fmt: skip
            break
        data = sources.get(target.path)
        if data is None:
            not_reviewed.append(NotReviewed(target.path, "its text was not available"))
            continue
        lines = data.decode("utf-8", errors="replace").splitlines()
        if not lines:
            continue
        parts, left_out = _parts(target, info_of[target.path], lines, by_path, room, part_cost)
        if left_out:
            not_reviewed.append(NotReviewed(target.path, left_out))
        for part in parts:
            total = cost([*pending, part])
            if pending and total > budget.tokens:
                close()
                total = cost([part])
                if len(chunks) >= budget.chunks:
                    not_reviewed.append(NotReviewed(
                        target.path,
                        f"lines {part.start}-{part.end}: over the review's limit of "
                        f"{budget.chunks} model calls",
                    ))  # fmt: skip
                    continue
            pending.append(part)
            used = total
    if len(chunks) < budget.chunks:
        close()
    return ChunkPlan(tuple(chunks), tuple(not_reviewed))


_CODE_LANGUAGES = frozenset({"python"})


def _findings_on(
    parts: Sequence[ChunkFile], by_path: Mapping[str, list[Finding]]
) -> tuple[Finding, ...]:
    return tuple(f for p in parts for f in by_path.get(p.path, ()) if p.start <= f.line <= p.end)


def _parts(
    target: Target, info: SourceFileInfo, lines: list[str],
    by_path: Mapping[str, list[Finding]], room: int, cost: Callable[[ChunkFile], int],
) -> tuple[list[ChunkFile], str]:  # fmt: skip
    """The file whole when it fits one chunk, else windows around its hottest functions and
    findings within one chunk's room; and what was left out ("" for nothing)."""
    total = len(lines)
    facts = target.reasons
    whole = ChunkFile(target.path, target.role, 1, total, tuple(lines), facts)
    if cost(whole) <= room:
        return [whole], ""
    findings = by_path.get(target.path, [])
    functions = info.metrics.functions if info.metrics is not None else ()
    wanted = [(fn.line, fn.end_line) for fn in hot_functions(functions, findings)]
    wanted += [(max(1, f.line - WINDOW), min(total, f.line + WINDOW)) for f in findings]
    chosen: list[tuple[int, int]] = []
    spent = 0
    for start, end in wanted:
        end = min(end, total)
        if any(a <= start and end <= b for a, b in chosen):
            continue
        part = ChunkFile(target.path, target.role, start, total,
                         tuple(lines[start - 1 : end]), facts)  # fmt: skip
        spent_here = cost(part)
        if spent + spent_here > room:
            if not chosen and start == 1 and end == total:
                continue
            if not chosen:  # one function longer than a chunk: its first lines
                keep = max(1, (end - start + 1) * room // max(spent_here, 1))
                chosen.append((start, start + keep - 1))
                break
            continue
        chosen.append((start, end))
        spent += spent_here
    if not chosen:  # a long file without functions or findings: its beginning
        keep = max(1, total * room // max(cost(whole), 1))
        chosen = [(1, keep)]
    merged = _merge(sorted(chosen))
    parts = [ChunkFile(target.path, target.role, a, total, tuple(lines[a - 1 : b]), facts)
             for a, b in merged]  # fmt: skip
    shown = sum(b - a + 1 for a, b in merged)
    note = (f"partly reviewed: {shown} of {total} lines sent (the hottest functions and the "
            "lines around its findings); the rest exceeds one chunk's token budget")  # fmt: skip
    return parts, note


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
