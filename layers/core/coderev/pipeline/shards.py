"""Splitting the files of a tree into shards and analysing one shard.

A shard is the unit of parallel work: a worker process here, a Map iteration of the analysis
state machine later. Shards are balanced by bytes (longest-processing-time first), so one
big file does not leave a core idle at the end.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.code import FileAnalysis
from coderev.domain.config import Thresholds
from coderev.domain.source import SourceFile


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    files: tuple[SourceFile, ...]


def plan_shards(files: Sequence[SourceFile], count: int) -> list[Shard]:
    """At most `count` non-empty shards of roughly equal total size, in a stable order."""
    count = max(1, min(count, len(files)))
    heap: list[tuple[int, int]] = [(0, i) for i in range(count)]
    buckets: list[list[SourceFile]] = [[] for _ in range(count)]
    for f in sorted(files, key=lambda f: (-len(f.data), f.path)):
        size, i = heapq.heappop(heap)
        buckets[i].append(f)
        heapq.heappush(heap, (size + len(f.data), i))
    shards = [sorted(b, key=lambda f: f.path) for b in buckets if b]
    return [Shard(i, tuple(b)) for i, b in enumerate(shards)]


def analyze_shard(
    files: Sequence[SourceFile], thresholds: Thresholds, budget_seconds: float
) -> list[FileAnalysis]:
    """Analyse every Python file of a shard; one parse each, never raising for a bad file."""
    return [
        analyze_python_file(f.path, f.data, thresholds, budget_seconds)
        for f in files
        if f.language == "python"
    ]
