"""What an AI review is configured with: chunk budget, concurrency, confidence bar, and what
each chunk is routed with. No imports beyond the standard library: the Review function builds
these on every invocation, whatever its reviewer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AISettings", "ChunkBudget", "ReviewAsk"]


@dataclass(frozen=True, slots=True)
class ChunkBudget:
    tokens: int = 6000  # the rendered prompt (system + user), as the planner counts it
    chunks: int = 12  # model calls per review at most


@dataclass(frozen=True, slots=True)
class ReviewAsk:
    """What every chunk of one review is routed with."""

    reviewer: str = "auto"  # "auto" or "openai:MODEL", "anthropic:MODEL", "hf:MODEL"
    tenant: str = "default"
    tier: str = "standard"
    project: str | None = None
    budget_usd: float | None = None  # per chunk (None: the router's default)
    min_confidence: float = 0.0


@dataclass(frozen=True, slots=True)
class AISettings:
    chunk_tokens: int = 6000  # CODEREV_AI_CHUNK_TOKENS
    max_chunks: int = 12  # CODEREV_AI_MAX_CHUNKS
    concurrency: int = 4  # CODEREV_AI_CONCURRENCY (the state machine's Map: MaxConcurrency)
    min_confidence: float = 0.3  # CODEREV_AI_MIN_CONFIDENCE
    tenant: str = "default"
    budget_usd: float | None = None  # for the whole review (None: the router's default)

    @property
    def budget(self) -> ChunkBudget:
        return ChunkBudget(self.chunk_tokens, self.max_chunks)

    def ask(self, reviewer: str, project: str | None, chunks: int) -> ReviewAsk:
        """What each of `chunks` chunks is routed with (the budget shared between them)."""
        share = None if self.budget_usd is None else self.budget_usd / max(chunks, 1)
        return ReviewAsk(reviewer=reviewer, tenant=self.tenant, project=project,
                         budget_usd=share, min_confidence=self.min_confidence)  # fmt: skip
