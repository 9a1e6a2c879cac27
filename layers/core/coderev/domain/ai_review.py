"""What an AI review did: which chunks went to which model, at what cost, and what was left out.

A review run by an AI reviewer (or asked for and run offline instead) carries one
`AIReviewRecord`: the report prints it so a reader knows who reviewed what. Every chunk
planned is recorded, reviewed or failed, never dropped; every file not sent is listed with
its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChunkStatus(StrEnum):
    REVIEWED = "reviewed"  # a model answered with a valid reply
    FAILED = "failed"  # every candidate failed (after its retries and fallbacks)


class ReviewMode(StrEnum):
    AI = "ai"  # models reviewed chunks; their comments are merged with the offline reviewer's
    OFFLINE = "offline"  # an AI review was asked for and the offline reviewer ran instead


@dataclass(frozen=True, slots=True)
class ModelAttempt:
    """One call to one model (the router's Attempt, as the report keeps it)."""

    provider: str
    model: str
    outcome: str  # "ok" or the error's type name, e.g. "ProviderRateLimited"
    latency_ms: float
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ChunkSpan:
    """Lines `start`..`end` (1-based, inclusive) of `path` were shown to the model."""

    path: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    chunk: int
    spans: tuple[ChunkSpan, ...]
    findings: int  # static findings sent with the code
    estimated_tokens: int  # the planner's count of the rendered prompt
    status: ChunkStatus
    provider: str | None = None  # who answered (None when failed)
    model: str | None = None
    prompt_version: str = ""
    input_tokens: int = 0  # summed over every attempt
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    comments: int = 0  # comments the reply held, before validation
    attempts: tuple[ModelAttempt, ...] = ()
    route: str = ""  # the route decision, explained
    error: str = ""  # why it failed

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.path for s in self.spans))


@dataclass(frozen=True, slots=True)
class NotReviewed:
    """A file (or part of one) no model saw, and why."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class AIReviewRecord:
    requested: str  # the reviewer asked for: "auto", "openai:gpt-4.1", ...
    mode: ReviewMode
    note: str = ""  # e.g. why the offline reviewer ran instead
    prompt_version: str = ""
    chunks: tuple[ChunkRecord, ...] = ()
    not_reviewed: tuple[NotReviewed, ...] = ()
    # what became of the models' comments: "kept", "merged_with_static", and drop reasons
    # ("outside_chunk", "nonexistent_line", "duplicate", "low_confidence", "invalid")
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def input_tokens(self) -> int:
        return sum(c.input_tokens for c in self.chunks)

    @property
    def output_tokens(self) -> int:
        return sum(c.output_tokens for c in self.chunks)

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.chunks)

    @property
    def latency_ms(self) -> float:
        """Model time summed over chunks (chunks run concurrently: not the wall time)."""
        return sum(c.latency_ms for c in self.chunks)

    @property
    def models(self) -> tuple[str, ...]:
        """ "provider:model" of every model that reviewed a chunk, in chunk order."""
        return tuple(
            dict.fromkeys(f"{c.provider}:{c.model}" for c in self.chunks if c.model is not None)
        )

    @property
    def failed(self) -> int:
        return sum(1 for c in self.chunks if c.status is ChunkStatus.FAILED)
