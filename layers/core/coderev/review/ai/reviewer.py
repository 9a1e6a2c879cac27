"""The AI reviewer: the offline reviewer's review, plus what routed models say, merged.

`--reviewer` / CODEREV_REVIEWER name it: `auto` lets the router choose a model per chunk,
`openai:MODEL`, `anthropic:MODEL` or `hf:MODEL` pins one. With no provider configured,
`auto` runs the offline reviewer and the review says so; a pinned model is an error.

The same steps run in one process (`AIReviewer.review`, for `--via direct`) and as the
analysis state machine's Review → Map(ReviewChunk) → MergeReview (coderev.pipeline.steps):
`plan` the chunks, `review_chunk` each (coderev.review.ai.calls), `merge_review` them
(coderev.review.ai.merge).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from coderev.domain.errors import ConfigError
from coderev.domain.review import Review
from coderev.review.ai.calls import ChunkOutcome, ChunkRouter, review_chunk
from coderev.review.ai.chunks import ChunkPlan, plan_chunks
from coderev.review.ai.merge import merge_review, offline_instead
from coderev.review.ai.names import AUTO, NO_PROVIDER, is_ai_reviewer, parse_reviewer
from coderev.review.ai.prompt import CURRENT_PROMPT, load_prompt
from coderev.review.ai.settings import AISettings
from coderev.review.ai.tokens import TokenCounter, default_counter
from coderev.review.reviewer import Reviewer, ReviewInput

__all__ = [
    "AUTO", "NO_PROVIDER", "AIReviewer", "SourceLoader", "is_ai_reviewer", "merge", "no_models",
    "parse_reviewer",
]  # fmt: skip

SourceLoader = Callable[[Sequence[str]], Mapping[str, bytes]]


class AIReviewer:
    """A Reviewer (coderev.review.reviewer) that adds routed models' comments to `offline`'s."""

    def __init__(
        self,
        requested: str,
        router: ChunkRouter | None,
        sources: SourceLoader,
        offline: Reviewer,
        settings: AISettings | None = None,
        counter: TokenCounter | None = None,
    ) -> None:
        self.name = parse_reviewer(requested)
        self.router = router
        self.sources = sources
        self.offline = offline
        self.settings = settings or AISettings()
        self._counter = counter

    def plan(self, subject: ReviewInput) -> ChunkPlan:
        """The chunks to send and what is not sent (reading only the files ranked for it)."""
        paths = [f.path for f in subject.files if f.metrics is not None]
        return plan_chunks(
            subject.files, subject.findings, subject.architecture, self.sources(paths),
            load_prompt(CURRENT_PROMPT), self._counter or default_counter(),
            self.settings.budget, baseline=subject.has_baseline,
        )  # fmt: skip

    def review(self, subject: ReviewInput) -> Review:
        offline = self.offline.review(subject)
        if self.router is None:
            return no_models(offline, self.name)
        plan = self.plan(subject)
        ask = self.settings.ask(self.name, subject.source, len(plan.chunks))
        router = self.router
        workers = max(1, min(self.settings.concurrency, len(plan.chunks)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes: list[ChunkOutcome] = list(
                pool.map(lambda c: review_chunk(c, router, ask), plan.chunks)
            )
        return merge(offline, subject, self.name, outcomes, plan)


def no_models(offline: Review, requested: str) -> Review:
    """`auto` without a provider: the offline review, saying so. A pinned model: ConfigError."""
    if requested == AUTO:
        return offline_instead(offline, requested, NO_PROVIDER)
    raise ConfigError(f"reviewer {requested}: {NO_PROVIDER}")


def merge(
    offline: Review, subject: ReviewInput, requested: str, outcomes: Sequence[ChunkOutcome],
    plan: ChunkPlan,
) -> Review:  # fmt: skip
    roles = {f.path: f.role for f in subject.files}
    return merge_review(offline, subject.findings, roles, requested, CURRENT_PROMPT, outcomes,
                        plan.not_reviewed)  # fmt: skip
