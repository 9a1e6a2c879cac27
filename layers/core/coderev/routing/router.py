"""The Router: `route(task)` chooses and explains, `call(decision, ...)` runs the fallback.

`call` tries the decision's candidates in order. Before each attempt: the analysis' budget
(estimated cost against what is left), the circuit breaker, then the quotas (the estimate is
reserved with QuotaStore.check_and_spend; what the call did not use is refunded after). Per
outcome, as LiteLLM's router does per error type:

- a parsed reply: done; the breaker records a success;
- invalid output (the provider's or `parse`'s ProviderInvalidOutput): once more on the same
  candidate, then the next one;
- 429, 5xx/529, timeout, dropped connection: the breaker counts it (a 429's Retry-After
  opens it for that long) and the next candidate is tried; the last candidate gets one short
  retry, after the Retry-After (or `retry_backoff_s`) when that is at most `max_retry_after_s`
  (CODEREV_MAX_RETRY_AFTER_S, 10 s): the SDKs would otherwise sleep up to minutes;
- a refused key (401/403): the provider's circuit opens for its cooldown; next candidate;
- a refused request (400/404/422): next candidate.

It never raises ProviderError: a call every candidate failed returns value None with every
attempt recorded.

Telemetry: a call is a span `ai.route` with one child `chat <model>` per model call (the
GenAI semantic conventions' attributes: system, model, tokens); every attempt, refusals
included, counts in the AI metrics (calls by outcome, tokens, cost, latency).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from coderev.domain.errors import (
    NotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRequestError,
)
from coderev.routing.arms import NoExperiment
from coderev.routing.breaker import InMemoryBreaker
from coderev.routing.model import Attempt, CallResult, cost_usd
from coderev.routing.rules import load_rules
from coderev.routing.selection import decide
from coderev.telemetry import metrics, tracing

if TYPE_CHECKING:
    from coderev.ports import (
        Completion,
        CompletionRequest,
        ProviderCatalog,
        QuotaLimit,
        QuotaStore,
    )
    from coderev.routing.arms import ArmAssigner
    from coderev.routing.breaker import CircuitBreaker
    from coderev.routing.model import Candidate, RouteDecision, RouteTask
    from coderev.routing.rules import RuleSet

__all__ = ["Router"]

Limits = Callable[[str, str], "tuple[QuotaLimit, ...]"]  # (tenant, provider) -> limits
logger = logging.getLogger(__name__)

_MAX_OPEN_S = 600.0  # a 429's Retry-After opens the circuit for at most this long


def _no_limits(_tenant: str, _provider: str) -> tuple[QuotaLimit, ...]:
    return ()


class Router:
    """Routes model tasks over a ProviderCatalog, within quotas (see the module docstring)."""

    def __init__(
        self,
        catalog: ProviderCatalog,
        quotas: QuotaStore,
        rules: RuleSet | None = None,
        breaker: CircuitBreaker | None = None,
        clock: Callable[[], float] = time.time,
        *,
        limits: Limits = _no_limits,
        arms: ArmAssigner | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after_s: float = 10.0,
        retry_backoff_s: float = 1.0,
        default_budget_usd: float | None = None,
        health_max_age_s: float = 900.0,
        auth_cooldown_s: float = 300.0,
    ) -> None:
        self.catalog = catalog
        self.quotas = quotas
        self.rules = rules if rules is not None else load_rules()
        self.breaker = breaker if breaker is not None else InMemoryBreaker(clock=clock)
        self.clock = clock
        self.limits = limits
        self.arms = arms if arms is not None else NoExperiment()
        self.sleep = sleep
        self.max_retry_after_s = max_retry_after_s
        self.retry_backoff_s = retry_backoff_s
        self.default_budget_usd = default_budget_usd
        self.health_max_age_s = health_max_age_s
        self.auth_cooldown_s = auth_cooldown_s

    # --- choosing ---------------------------------------------------------------------------

    def route(self, task: RouteTask) -> RouteDecision:
        """The ordered candidates for `task`, every catalog model left out and why, the rule
        and the experiment arm. The task's budget, when None, becomes the default one."""
        if task.budget_usd is None and self.default_budget_usd is not None:
            task = replace(task, budget_usd=self.default_budget_usd)
        return decide(
            task,
            rules=self.rules,
            arm=self.arms.assign(task),
            models=self.catalog.models(),
            health=self.catalog.health(),
            breaker_state=self.breaker.state,
            now=self.clock(),
            health_max_age_s=self.health_max_age_s,
        )

    # --- calling ----------------------------------------------------------------------------

    def call[T](
        self,
        decision: RouteDecision,
        build_request: Callable[[Candidate], CompletionRequest],
        parse: Callable[[Completion], T],
        spent_usd: float = 0.0,
    ) -> CallResult[T]:
        """Try the candidates in order until one's reply parses (see the module docstring).
        `spent_usd`: what the analysis spent before this call, counted against the budget."""
        run = _Run(self, decision, spent_usd)
        candidates = decision.candidates
        with tracing.span("ai.route", {"coderev.candidates": len(candidates)}) as span:
            try:
                for index, candidate in enumerate(candidates):
                    result = run.candidate(
                        candidate, build_request, parse, last=index == len(candidates) - 1
                    )
                    if result is not None:
                        return result
                return CallResult(None, None, None, tuple(run.attempts), run.cost)
            finally:
                _count(run.attempts)
                if span is not None:
                    span.set_attribute("coderev.attempts", len(run.attempts))
                    span.set_attribute("coderev.cost_usd", run.cost)


class _Run:
    """The state of one `Router.call`: its attempts and what they cost."""

    def __init__(self, router: Router, decision: RouteDecision, spent_usd: float) -> None:
        self.r = router
        self.task = decision.task
        self.spent = spent_usd
        self.attempts: list[Attempt] = []
        self.cost = 0.0

    def _refuse(self, candidate: Candidate, outcome: str, detail: str) -> None:
        m = candidate.model
        self.attempts.append(Attempt(m.provider, m.model, outcome, 0.0, 0, 0, 0.0, detail))
        logger.info("route %s/%s refused: %s: %s", m.provider, m.model, outcome, detail)

    def candidate[T](
        self,
        candidate: Candidate,
        build_request: Callable[[Candidate], CompletionRequest],
        parse: Callable[[Completion], T],
        *,
        last: bool,
    ) -> CallResult[T] | None:
        """Attempts on one candidate; the result when one succeeded, else None (go on)."""
        m, invalid, retried = candidate.model, 0, False
        while True:
            request = build_request(candidate)
            expected = min(self.r.rules.expected_output_tokens, request.max_output_tokens)
            estimate = cost_usd(m, self.task.input_tokens, expected)
            if self.task.budget_usd is not None:
                left = self.task.budget_usd - self.spent - self.cost
                if estimate > left:
                    self._refuse(
                        candidate,
                        "OverBudget",
                        f"estimated ${estimate:.4f}, ${max(left, 0.0):.4f} of the budget left",
                    )
                    return None
            if not self.r.breaker.allow(m.provider):
                state = self.r.breaker.state(m.provider)
                self._refuse(candidate, "CircuitOpen", state.describe(self.r.clock()))
                return None
            reserved = self._reserve(candidate, request)
            if reserved is None:
                return None
            try:
                outcome = self._attempt(candidate, request, parse, reserved)
            except ProviderInvalidOutput:
                invalid += 1
                if invalid < 2:
                    continue  # once more on the same candidate
                return None
            except ProviderError as exc:
                if not (last and not retried and exc.retryable):
                    return None
                wait = self._retry_wait(exc)
                if wait is None:
                    return None
                retried = True
                self.r.sleep(wait)
                continue
            return outcome

    def _retry_wait(self, exc: ProviderError) -> float | None:
        """How long to wait before the last candidate's one retry; None: do not retry."""
        if isinstance(exc, ProviderAuthError | ProviderRequestError):
            return None
        wait = self.r.retry_backoff_s
        if isinstance(exc, ProviderRateLimited) and exc.retry_after is not None:
            wait = exc.retry_after
        return wait if wait <= self.r.max_retry_after_s else None

    def _reserve(
        self, candidate: Candidate, request: CompletionRequest
    ) -> tuple[tuple[QuotaLimit, ...], dict[str, int]] | None:
        """Reserve the call's worst case (its max_output_tokens) against the quotas; None
        (and a QuotaExceeded attempt) when a limit has no room."""
        m = candidate.model
        limits = self.r.limits(self.task.tenant, m.provider)
        worst = cost_usd(m, self.task.input_tokens, request.max_output_tokens)
        amounts = {
            "requests": 1,
            "tokens": self.task.input_tokens + request.max_output_tokens,
            "cost_micro_usd": math.ceil(worst * 1_000_000),
        }
        if not limits:
            return limits, amounts
        verdict = self.r.quotas.check_and_spend(limits, amounts)
        if not verdict.allowed:
            by = verdict.denied_by
            named = (
                f"{by.scope} {by.metric} per {by.window} (limit {by.limit:,})" if by else "a quota"
            )
            after = (
                f"; retry after {verdict.retry_after_s:.0f} s"
                if verdict.retry_after_s is not None
                else ""
            )
            self._refuse(candidate, "QuotaExceeded", f"{named} has no room{after}")
            return None
        return limits, amounts

    def _settle(
        self, reserved: tuple[tuple[QuotaLimit, ...], dict[str, int]], used: Mapping[str, int]
    ) -> None:
        """Refund what the reservation over-estimated; spend what it under-estimated."""
        limits, amounts = reserved
        if not limits:
            return
        back = {k: amounts[k] - used.get(k, 0) for k in amounts if amounts[k] > used.get(k, 0)}
        more = {k: used[k] - amounts.get(k, 0) for k in used if used[k] > amounts.get(k, 0)}
        if back:
            self.r.quotas.refund(limits, back)
        if more:  # recorded when there is room; a call already made cannot be undone
            self.r.quotas.check_and_spend(limits, more)

    def _attempt[T](
        self,
        candidate: Candidate,
        request: CompletionRequest,
        parse: Callable[[Completion], T],
        reserved: tuple[tuple[QuotaLimit, ...], dict[str, int]],
    ) -> CallResult[T]:
        """One call: the result when its reply parses; else the attempt is recorded and the
        ProviderError re-raised for `candidate` to decide what comes next."""
        m = candidate.model
        started = time.perf_counter()
        try:
            completion = self._complete(candidate, request)
        except (ProviderError, NotFoundError) as exc:
            self._settle(reserved, {"requests": 1})
            self._failed(candidate, exc, (time.perf_counter() - started) * 1000)
            if isinstance(exc, NotFoundError):  # the provider went away since routing
                raise ProviderRequestError(str(exc), provider=m.provider) from exc
            raise
        latency = (time.perf_counter() - started) * 1000
        cost = cost_usd(m, completion.input_tokens, completion.output_tokens)
        self.cost += cost
        self._settle(
            reserved,
            {
                "requests": 1,
                "tokens": completion.input_tokens + completion.output_tokens,
                "cost_micro_usd": math.ceil(cost * 1_000_000),
            },
        )
        self.r.breaker.record_success(m.provider)  # it answered: healthy, whatever it said
        try:
            value = parse(completion)
        except ProviderError as exc:
            self.attempts.append(
                Attempt(
                    m.provider,
                    m.model,
                    type(exc).__name__,
                    latency,
                    completion.input_tokens,
                    completion.output_tokens,
                    cost,
                    _detail(exc),
                )
            )
            raise
        self.attempts.append(
            Attempt(
                m.provider,
                m.model,
                "ok",
                latency,
                completion.input_tokens,
                completion.output_tokens,
                cost,
            )
        )
        return CallResult(value, completion, candidate, tuple(self.attempts), self.cost)

    def _complete(self, candidate: Candidate, request: CompletionRequest) -> Completion:
        """The provider's call, in a span `chat <model>`."""
        m = candidate.model
        attributes = {"gen_ai.operation.name": "chat", "gen_ai.system": m.provider,
                      "gen_ai.request.model": m.model,
                      "gen_ai.request.max_tokens": request.max_output_tokens}  # fmt: skip
        with tracing.span(f"chat {m.model}", attributes, kind="client") as span:
            completion = self.r.catalog.provider(m.provider).complete(request)
            if span is not None:
                span.set_attribute("gen_ai.usage.input_tokens", completion.input_tokens)
                span.set_attribute("gen_ai.usage.output_tokens", completion.output_tokens)
            return completion

    def _failed(self, candidate: Candidate, exc: Exception, latency_ms: float) -> None:
        m = candidate.model
        outcome = type(exc).__name__
        self.attempts.append(
            Attempt(m.provider, m.model, outcome, latency_ms, 0, 0, 0.0, _detail(exc))
        )
        logger.info("route %s/%s failed: %s", m.provider, m.model, outcome)
        if isinstance(exc, ProviderInvalidOutput):  # it answered, if badly: it is up
            self.r.breaker.record_success(m.provider)
        elif isinstance(exc, ProviderAuthError):
            self.r.breaker.record_failure(m.provider, outcome, open_for_s=self.r.auth_cooldown_s)
        elif isinstance(exc, ProviderRateLimited):
            after = exc.retry_after
            self.r.breaker.record_failure(
                m.provider, outcome, open_for_s=None if after is None else min(after, _MAX_OPEN_S)
            )
        elif isinstance(exc, ProviderError) and exc.retryable:  # 5xx, 529, timeout, dropped
            self.r.breaker.record_failure(m.provider, outcome)


def _count(attempts: list[Attempt]) -> None:
    """Every attempt in the AI metrics (a refusal has no latency: nothing was called)."""
    refusals = ("QuotaExceeded", "OverBudget", "CircuitOpen")
    for a in attempts:
        seconds = None if a.outcome in refusals else a.latency_ms / 1000
        metrics.ai_call(a.provider, a.model, a.outcome, input_tokens=a.input_tokens,
                        output_tokens=a.output_tokens, cost_usd=a.cost_usd,
                        seconds=seconds)  # fmt: skip


def _detail(exc: Exception) -> str:
    """The error's message, short (adapters never put a key in it)."""
    text = " ".join(str(exc).split())
    return text[:300]
