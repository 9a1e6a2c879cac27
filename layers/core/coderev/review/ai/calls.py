"""One chunk reviewed by a routed model: route, call with fallback, check the reply, record it.

Models are called only through `coderev.routing.Router.call`: it tries the route's
candidates in order (a 429, 5xx, 529, timeout, dropped connection or refused key moves on
to the next; an invalid reply is retried once on the same model first) and never raises a
ProviderError. A chunk whose every candidate failed comes back FAILED with every attempt
recorded; so does a chunk whose call raised anything else (a bug must cost the chunk, not
the review, and the report says what happened).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from coderev.domain.ai_review import ChunkRecord, ChunkStatus, ModelAttempt
from coderev.ports import ChatMessage, Completion, CompletionRequest
from coderev.review.ai.chunks import Chunk, render_chunk
from coderev.review.ai.prompt import Prompt, load_prompt
from coderev.review.ai.replies import Draft, check_comments, parse_reply
from coderev.review.ai.settings import ReviewAsk

if TYPE_CHECKING:
    from collections.abc import Callable

    from coderev.routing.model import CallResult, Candidate, RouteDecision, RouteTask

__all__ = ["ChunkOutcome", "ChunkRouter", "ReviewAsk", "failed_outcome", "review_chunk"]

TASK_KIND = "review_chunk"


class ChunkRouter(Protocol):
    """What a chunk needs of coderev.routing.Router."""

    def route(self, task: RouteTask) -> RouteDecision: ...

    def call(
        self,
        decision: RouteDecision,
        build_request: Callable[[Candidate], CompletionRequest],
        parse: Callable[[Completion], Any],
        spent_usd: float = 0.0,
    ) -> CallResult[Any]: ...


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    record: ChunkRecord
    drafts: tuple[Draft, ...] = ()
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> comments dropped


def review_chunk(chunk: Chunk, router: ChunkRouter, ask: ReviewAsk) -> ChunkOutcome:
    """The chunk reviewed by the first candidate that answers validly, or recorded failed."""
    from coderev.routing.model import RouteTask

    task = RouteTask(
        kind=TASK_KIND, language=_language(chunk), input_tokens=chunk.tokens, tenant=ask.tenant,
        tier=ask.tier, project=ask.project, budget_usd=ask.budget_usd, reviewer=ask.reviewer,
    )  # fmt: skip
    route = ""
    try:
        decision = router.route(task)
        route = decision.explain()
        prompts: dict[str, Prompt] = {}

        def build(candidate: Candidate) -> CompletionRequest:
            prompt = load_prompt(candidate.prompt_version)
            prompts[candidate.model.model] = prompt
            return CompletionRequest(
                model=candidate.model.model,
                system=prompt.system,
                messages=(ChatMessage("user", render_chunk(prompt, chunk.files, chunk.findings)),),
                max_output_tokens=min(prompt.max_output_tokens, candidate.model.max_output_tokens),
                json_reply=True,
            )

        def parse(completion: Completion) -> list[Any]:
            return parse_reply(completion.text, prompts.get(completion.model) or load_prompt())

        result = router.call(decision, build, parse)
    except Exception as exc:
        return ChunkOutcome(_failed(chunk, route, f"{type(exc).__name__}: {exc}", ()))
    attempts = tuple(
        ModelAttempt(a.provider, a.model, a.outcome, a.latency_ms, a.input_tokens,
                     a.output_tokens, a.cost_usd, a.detail)
        for a in result.attempts
    )  # fmt: skip
    if not result.ok or result.candidate is None or result.value is None:
        return ChunkOutcome(_failed(chunk, route, _why_failed(decision, attempts), attempts))
    candidate = result.candidate
    prompt = prompts.get(candidate.model.model) or load_prompt(candidate.prompt_version)
    reviewer = f"{candidate.model.provider}:{candidate.model.model}"
    drafts, dropped = check_comments(result.value, chunk, prompt, reviewer, ask.min_confidence)
    record = ChunkRecord(
        chunk=chunk.index, spans=chunk.spans, findings=len(chunk.findings),
        estimated_tokens=chunk.tokens, status=ChunkStatus.REVIEWED,
        provider=candidate.model.provider, model=candidate.model.model,
        prompt_version=prompt.version, input_tokens=sum(a.input_tokens for a in attempts),
        output_tokens=sum(a.output_tokens for a in attempts), cost_usd=result.cost_usd,
        latency_ms=round(sum(a.latency_ms for a in attempts), 1),
        comments=len(result.value), attempts=attempts, route=route,
    )  # fmt: skip
    return ChunkOutcome(record, tuple(drafts), dict(dropped))


def failed_outcome(chunk: Chunk, error: str) -> ChunkOutcome:
    """The chunk recorded failed for `error`, no model having answered."""
    return ChunkOutcome(_failed(chunk, "", error, ()))


def _language(chunk: Chunk) -> str:
    return "python"  # the only language with metrics (and so the only one sent) today


def _failed(
    chunk: Chunk, route: str, error: str, attempts: tuple[ModelAttempt, ...]
) -> ChunkRecord:
    return ChunkRecord(
        chunk=chunk.index, spans=chunk.spans, findings=len(chunk.findings),
        estimated_tokens=chunk.tokens, status=ChunkStatus.FAILED,
        input_tokens=sum(a.input_tokens for a in attempts),
        output_tokens=sum(a.output_tokens for a in attempts),
        cost_usd=sum(a.cost_usd for a in attempts),
        latency_ms=round(sum(a.latency_ms for a in attempts), 1),
        attempts=attempts, route=route, error=error,
    )  # fmt: skip


def _why_failed(decision: RouteDecision, attempts: tuple[ModelAttempt, ...]) -> str:
    if not attempts:
        left_out = "; ".join(f"{p}/{m}: {why}" for p, m, why in decision.skipped)
        return "no model could take the chunk" + (f" ({left_out})" if left_out else "")
    tried = ", ".join(f"{a.provider}/{a.model}: {a.outcome}" for a in attempts)
    return f"every candidate failed ({tried})"
