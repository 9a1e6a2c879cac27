"""The AI review's work files (see steps_work): a chunk as Review planned it, and what
ReviewChunk made of it. Apart from steps_work so that the other steps never import the AI
review (its reply checks import jsonschema)."""

from __future__ import annotations

from dataclasses import dataclass

from coderev.review.ai.calls import ChunkOutcome
from coderev.review.ai.chunks import Chunk
from coderev.review.ai.settings import ReviewAsk

__all__ = ["ChunkDocument", "ChunkResultDocument"]


@dataclass(frozen=True, slots=True)
class ChunkDocument:
    analysis_id: str
    chunk: Chunk
    ask: ReviewAsk


@dataclass(frozen=True, slots=True)
class ChunkResultDocument:
    analysis_id: str
    outcome: ChunkOutcome
