"""The inputs the analysis state machine gives its Task states (see analysis.asl.json).

Frozen dataclasses checked by `from_event`, not pydantic models: these handlers run once per
shard, and pydantic's import (~150 ms here) would be most of their cold start for four
fields. A malformed input raises InvalidTaskInputError, which the state machine's Catch
sends to MarkFailed like any other step error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Self

from coderev.domain.errors import InputError

__all__ = [
    "AnalysisTask", "ChunkTask", "FailedTask", "InvalidTaskInputError", "MergeReviewTask",
    "ReviewTask", "ShardTask",
]  # fmt: skip

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_OPTIONAL_TEXT = ("baseline_key", "error", "cause")


class InvalidTaskInputError(InputError):
    """A task input without the fields, types or id form its step needs."""


@dataclass(frozen=True, slots=True)
class AnalysisTask:
    """Index, Architecture and Finalize: which analysis."""

    analysis_id: str

    @classmethod
    def from_event(cls, event: Any) -> Self:
        """The task of a state's input; fields beyond the dataclass's are ignored."""
        if not isinstance(event, Mapping):
            raise InvalidTaskInputError(f"a task input is an object, not {type(event).__name__}")
        values: dict[str, Any] = {f.name: event.get(f.name) for f in fields(cls)}
        analysis_id = values["analysis_id"]
        if not isinstance(analysis_id, str) or not _ID.fullmatch(analysis_id):
            raise InvalidTaskInputError(
                f"analysis_id {analysis_id!r} must be 1-128 of [A-Za-z0-9._-], starting with "
                "a letter or digit"
            )
        for name in _OPTIONAL_TEXT:
            if name in values and not isinstance(values[name], str | None):
                raise InvalidTaskInputError(f"{name} must be a string or null")
        if "shard" in values:
            shard = values["shard"]
            if not isinstance(shard, int) or isinstance(shard, bool) or shard < 0:
                raise InvalidTaskInputError(f"shard {shard!r} must be an integer >= 0")
        if "chunk" in values:
            chunk = values["chunk"]
            if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 0:
                raise InvalidTaskInputError(f"chunk {chunk!r} must be an integer >= 0")
        if "reviewed" in values:
            reviewed = values["reviewed"]
            if reviewed is None:
                values["reviewed"] = ()
            elif not isinstance(reviewed, list) or not all(isinstance(r, Mapping)
                                                            for r in reviewed):  # fmt: skip
                raise InvalidTaskInputError("reviewed must be a list of the Map's results")
            else:
                values["reviewed"] = tuple(reviewed)
        if values.get("files") is not None:
            count = values["files"]
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise InvalidTaskInputError(f"files {count!r} must be an integer >= 0")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ShardTask(AnalysisTask):
    """One iteration of the AnalyzeShards Map: an item of Index's `shards`."""

    shard: int = 0
    files: int | None = None  # how many files the shard holds (Index says; absent: unknown)


@dataclass(frozen=True, slots=True)
class ReviewTask(AnalysisTask):
    baseline_key: str | None = None


@dataclass(frozen=True, slots=True)
class ChunkTask(AnalysisTask):
    """One iteration of the ReviewChunks Map: an item of Review's `chunks`."""

    chunk: int = 0


@dataclass(frozen=True, slots=True)
class MergeReviewTask(AnalysisTask):
    """MergeReview: the ReviewChunks Map's output, one item per chunk (a result or a caught
    error)."""

    reviewed: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class FailedTask(AnalysisTask):
    """MarkFailed: the Catch's Error and Cause."""

    error: str | None = None
    cause: str | None = None
