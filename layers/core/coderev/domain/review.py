"""Review comments: what a reviewer (offline rules or an AI model) says about the change."""

from __future__ import annotations

from dataclasses import dataclass

from coderev.domain.ai_review import AIReviewRecord
from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole

OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class ReviewComment:
    path: str  # "" for a repository-wide comment
    line: int
    severity: Severity
    category: Category
    title: str
    why: str  # why it matters
    suggestion: str  # a concrete next step
    fingerprints: tuple[str, ...]  # the findings this comment is about
    role: FileRole = FileRole.SOURCE  # the role of the file at `path`
    # who wrote it: "offline", a model ("openai:gpt-4.1"), or "offline+<model>" when a model
    # flagged what the offline reviewer's comment is about (merged into it)
    reviewer: str = OFFLINE
    confidence: float | None = None  # the model's own, 0..1 (None: the offline reviewer's)


@dataclass(frozen=True, slots=True)
class Review:
    reviewer: str  # e.g. "offline" or "openai:gpt-4.1"
    summary: str  # short markdown: top risks and the architecture
    comments: tuple[ReviewComment, ...]
    truncated: int = 0  # comments dropped by the per-file/overall caps
    ai: AIReviewRecord | None = None  # set when an AI review was asked for (see ai_review)
