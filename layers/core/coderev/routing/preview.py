"""The route preview at the edge (model_router's invoke and POST /routes/preview): the task
as a request body, the decision as an answer with the reason for every model in or out.

Pydantic models, `defer_build=True` (built on first use, not at cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from coderev.routing.model import RouteTask

if TYPE_CHECKING:
    from coderev.routing.model import RouteDecision

__all__ = ["CandidateView", "RoutePreview", "RoutePreviewRequest", "SkippedView"]


class RoutePreviewRequest(BaseModel):
    """A task to route: what `coderev route` and a review chunk give the router."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: str = Field(default="review_chunk", min_length=1, max_length=64,
                      pattern=r"^[a-z][a-z0-9_]*$")  # fmt: skip
    language: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+#.-]+$")
    input_tokens: int = Field(ge=0, le=100_000_000)
    tenant: str = Field(default="default", min_length=1, max_length=128,
                        pattern=r"^[A-Za-z0-9_.:@/+-]+$")  # fmt: skip
    tier: Literal["economy", "standard", "premium"] = "standard"
    project: str | None = Field(default=None, min_length=1, max_length=256)
    budget_usd: float | None = Field(default=None, ge=0, le=1_000_000)
    reviewer: str = Field(default="auto", max_length=256,
                          pattern=r"^(auto|(openai|anthropic|hf):\S+)$")  # fmt: skip

    def task(self) -> RouteTask:
        return RouteTask(**self.model_dump())


class CandidateView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    provider: str
    kind: str
    model: str
    tier: str
    context_window: int
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    prompt_version: str
    reason: str


class SkippedView(BaseModel):
    model_config = ConfigDict(defer_build=True)

    provider: str
    model: str
    reason: str


class RoutePreview(BaseModel):
    """A RouteDecision: the rule ("name@rules-version"), the arm, the candidates in the order
    they are tried with why, the models left out with why, and all of it as text."""

    model_config = ConfigDict(defer_build=True)

    task: RoutePreviewRequest
    rule: str
    arm: str | None
    candidates: list[CandidateView]
    skipped: list[SkippedView]
    explanation: str

    @classmethod
    def of(cls, decision: RouteDecision) -> RoutePreview:
        task = decision.task
        return cls(
            task=RoutePreviewRequest.model_construct(**vars(task)),
            rule=decision.rule,
            arm=decision.arm,
            candidates=[
                CandidateView(
                    provider=c.model.provider,
                    kind=c.model.kind,
                    model=c.model.model,
                    tier=c.model.tier,
                    context_window=c.model.context_window,
                    input_usd_per_mtok=c.model.input_usd_per_mtok,
                    output_usd_per_mtok=c.model.output_usd_per_mtok,
                    prompt_version=c.prompt_version,
                    reason=c.reason,
                )
                for c in decision.candidates
            ],
            skipped=[SkippedView(provider=p, model=m, reason=r) for p, m, r in decision.skipped],
            explanation=decision.explain(),
        )
