"""Router.call: fallback per error type, the capped Retry-After, budget, quotas, breaker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.routing.fakes import (
    FakeCatalog,
    FakeClock,
    MemoryQuotaStore,
    ScriptedProvider,
    model,
    reply,
)

from coderev.domain.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
)
from coderev.ports import Completion, CompletionRequest, QuotaLimit
from coderev.routing import Candidate, InMemoryBreaker, Router, RouteTask

MODELS = [
    model("openai", "gpt-std", price=(2.0, 8.0)),
    model("anthropic", "claude-std", price=(3.0, 15.0)),
]
TASK = RouteTask("review_chunk", "python", 1000)


def _request(candidate: Candidate) -> CompletionRequest:
    return CompletionRequest(
        model=candidate.model.model, system="review", messages=(), max_output_tokens=1000
    )


def _parse(completion: Completion) -> dict[str, Any]:
    try:
        value: dict[str, Any] = json.loads(completion.text)
    except ValueError as exc:
        raise ProviderInvalidOutput(f"not JSON: {exc}", provider=completion.provider) from exc
    return value


class Setup:
    def __init__(self, openai: list[Any], anthropic: list[Any], **router: Any) -> None:
        self.clock = FakeClock()
        self.openai = ScriptedProvider("openai", openai)
        self.anthropic = ScriptedProvider("anthropic", anthropic)
        self.quotas = MemoryQuotaStore()
        self.breaker = router.pop("breaker", None) or InMemoryBreaker(clock=self.clock)
        self.router = Router(
            FakeCatalog(MODELS, {"openai": self.openai, "anthropic": self.anthropic}),
            self.quotas,
            breaker=self.breaker,
            clock=self.clock,
            sleep=self.clock.sleep,
            **router,
        )

    def call(self, task: RouteTask = TASK, spent_usd: float = 0.0) -> Any:
        return self.router.call(self.router.route(task), _request, _parse, spent_usd)


def _outcomes(result: Any) -> list[tuple[str, str]]:
    return [(a.provider, a.outcome) for a in result.attempts]


def test_a_first_answer_that_parses_is_the_result_with_its_cost() -> None:
    s = Setup([reply('{"comments": [1]}', tokens=(1200, 300))], [reply()])
    result = s.call()
    assert result.ok and result.value == {"comments": [1]}
    assert result.candidate.model.model == "gpt-std"
    assert result.completion.input_tokens == 1200
    assert result.cost_usd == pytest.approx((1200 * 2.0 + 300 * 8.0) / 1e6)
    (attempt,) = result.attempts
    assert (attempt.outcome, attempt.input_tokens, attempt.output_tokens) == ("ok", 1200, 300)
    assert s.anthropic.requests == []


@pytest.mark.parametrize(
    "error",
    [
        ProviderRateLimited("429 slow down", retry_after=30.0),
        ProviderRateLimited("429 slow down"),
        ProviderUnavailable("500 internal error", status=500),
        ProviderUnavailable("529 overloaded", status=529),
        ProviderTimeout("no first token within 60 s"),
        ProviderConnectionError("connection dropped mid-stream"),
        ProviderAuthError("401 invalid key", status=401),
        ProviderRequestError("404 no such model", status=404),
    ],
    ids=lambda e: f"{type(e).__name__}-{e}",
)
def test_a_failing_provider_falls_back_to_the_next_candidate_at_once(error: Exception) -> None:
    s = Setup([error], [reply('{"comments": []}')])
    result = s.call()
    assert result.ok and result.candidate.model.provider == "anthropic"
    assert _outcomes(result) == [("openai", type(error).__name__), ("anthropic", "ok")]
    assert result.attempts[0].detail == str(error)
    assert s.clock.slept == []  # no waiting when another candidate can take it


def test_invalid_output_is_retried_once_on_the_same_model_and_paid_for() -> None:
    s = Setup([reply("not json", tokens=(1000, 50)), reply('{"comments": [2]}')], [reply()])
    result = s.call()
    assert result.value == {"comments": [2]}
    assert _outcomes(result) == [("openai", "ProviderInvalidOutput"), ("openai", "ok")]
    assert result.cost_usd == pytest.approx(2 * 1000 * 2.0 / 1e6 + (50 + 200) * 8.0 / 1e6)


def test_invalid_output_twice_moves_on_to_the_next_candidate() -> None:
    s = Setup([reply("nope"), reply("still nope")], [reply('{"ok": true}')])
    result = s.call()
    assert result.value == {"ok": True}
    assert _outcomes(result) == [
        ("openai", "ProviderInvalidOutput"),
        ("openai", "ProviderInvalidOutput"),
        ("anthropic", "ok"),
    ]


def test_malformed_json_from_the_provider_itself_counts_as_invalid_output() -> None:
    s = Setup([ProviderInvalidOutput("malformed JSON body"), reply('{"a": 1}')], [reply()])
    assert _outcomes(s.call()) == [("openai", "ProviderInvalidOutput"), ("openai", "ok")]
    assert s.breaker.state("openai").failures == 0  # bad output is no outage


def test_the_last_candidate_waits_for_a_short_retry_after_and_tries_once_more() -> None:
    s = Setup([ProviderRateLimited("429", retry_after=2.5), reply('{"a": 1}')], [])
    s.router.catalog = FakeCatalog(MODELS[:1], {"openai": s.openai})
    result = s.call()
    assert result.value == {"a": 1}
    assert s.clock.slept == [2.5]
    assert _outcomes(result) == [("openai", "ProviderRateLimited"), ("openai", "ok")]


def test_a_retry_after_over_the_cap_is_not_waited_for_and_the_call_fails_without_raising() -> None:
    s = Setup([ProviderRateLimited("429", retry_after=120.0)], [ProviderUnavailable("529")])
    result = s.call()
    assert not result.ok and result.value is None and result.candidate is None
    assert _outcomes(result) == [
        ("openai", "ProviderRateLimited"),
        ("anthropic", "ProviderUnavailable"),
        ("anthropic", "ProviderUnavailable"),
    ]
    assert s.clock.slept == [1.0]  # the 529 of the last candidate: one short backoff, once
    assert result.cost_usd == 0.0


def test_the_retry_after_cap_is_configurable() -> None:
    s = Setup([ProviderRateLimited("429", retry_after=8.0)], [], max_retry_after_s=5.0)
    s.router.catalog = FakeCatalog(MODELS[:1], {"openai": s.openai})
    result = s.call()
    assert not result.ok and s.clock.slept == []


def test_refused_keys_are_not_retried_and_open_the_circuit() -> None:
    s = Setup([ProviderAuthError("401")], [ProviderAuthError("401")])
    result = s.call()
    assert _outcomes(result) == [
        ("openai", "ProviderAuthError"),
        ("anthropic", "ProviderAuthError"),
    ]
    assert s.clock.slept == []
    assert s.breaker.state("openai").status == "open"
    again = s.router.route(TASK)
    assert again.candidates == ()


def test_repeated_outages_open_the_circuit_and_a_trial_call_closes_it() -> None:
    clock = FakeClock()
    breaker = InMemoryBreaker(failures=2, cooldown_s=30, clock=clock)
    s = Setup([ProviderUnavailable("503")], [reply('{"a": 1}')], breaker=breaker)
    s.clock = clock
    s.router.clock = clock
    s.call()
    s.call()  # the second 503 in a row opens openai's circuit
    assert breaker.state("openai").status == "open"
    third = s.call()
    assert _outcomes(third) == [("anthropic", "ok")]  # openai not even routed to
    assert len(s.openai.requests) == 2
    clock.now += 31
    s.openai.script = [reply('{"back": 1}')]
    fourth = s.call()
    assert fourth.value == {"back": 1}
    assert breaker.state("openai").status == "closed"


def test_a_candidate_over_the_remaining_budget_is_not_called() -> None:
    s = Setup([reply()], [reply('{"a": 1}')])
    decision = s.router.route(RouteTask("review_chunk", "python", 1000, budget_usd=0.05))
    # gpt-std costs ~$0.010 here, claude-std ~$0.018: $0.045 already spent leaves $0.005
    result = s.router.call(decision, _request, _parse, spent_usd=0.045)
    assert not result.ok and s.openai.requests == [] and s.anthropic.requests == []
    assert _outcomes(result) == [("openai", "OverBudget"), ("anthropic", "OverBudget")]
    assert result.attempts[0].detail == "estimated $0.0100, $0.0050 of the budget left"


def test_budget_counts_what_earlier_attempts_of_the_call_spent() -> None:
    s = Setup(
        [reply("bad", tokens=(1000, 1000)), reply("bad", tokens=(1000, 1000))], [reply('{"a": 1}')]
    )
    decision = s.router.route(RouteTask("review_chunk", "python", 1000, budget_usd=0.035))
    result = s.router.call(decision, _request, _parse)
    # two invalid gpt-std replies cost $0.02; claude-std's ~$0.018 no longer fits in $0.015
    assert _outcomes(result) == [
        ("openai", "ProviderInvalidOutput"),
        ("openai", "ProviderInvalidOutput"),
        ("anthropic", "OverBudget"),
    ]
    assert "estimated $0.0180, $0.0150 of the budget left" in result.attempts[-1].detail
    assert result.cost_usd == pytest.approx(0.02)


def _limits(tenant: str, provider: str) -> tuple[QuotaLimit, ...]:
    return (
        QuotaLimit(f"tenant:{tenant}", "tokens", "minute", 100_000),
        QuotaLimit(f"provider:{provider}", "requests", "minute", 1),
        QuotaLimit(f"tenant:{tenant}", "cost_micro_usd", "day", 1_000_000),
    )


def test_quotas_reserve_the_worst_case_and_keep_only_what_the_call_used() -> None:
    s = Setup([reply('{"a": 1}', tokens=(900, 100))], [reply()], limits=_limits)
    result = s.call()
    assert result.ok
    assert s.quotas.calls[0] == ("spend", {"requests": 1, "tokens": 2000, "cost_micro_usd": 10_000})
    assert s.quotas.used[("tenant:default", "tokens", "minute")] == 1000
    assert s.quotas.used[("provider:openai", "requests", "minute")] == 1
    assert s.quotas.used[("tenant:default", "cost_micro_usd", "day")] == 900 * 2 + 100 * 8


def test_a_quota_without_room_moves_on_without_calling_the_provider() -> None:
    s = Setup([reply('{"a": 1}')], [reply('{"b": 2}')], limits=_limits)
    s.quotas.used[("provider:openai", "requests", "minute")] = 1  # openai's minute is used up
    result = s.call()
    assert result.value == {"b": 2} and s.openai.requests == []
    assert result.attempts[0].outcome == "QuotaExceeded"
    assert result.attempts[0].detail == (
        "provider:openai requests per minute (limit 1) has no room; retry after 42 s"
    )


def test_a_failed_call_gives_back_its_tokens_but_keeps_the_request() -> None:
    s = Setup(
        [ProviderUnavailable("500")],
        [ProviderUnavailable("500")],
        limits=_limits,
        max_retry_after_s=0.0,
    )
    s.call()
    assert s.quotas.used[("tenant:default", "tokens", "minute")] == 0
    assert s.quotas.used[("provider:openai", "requests", "minute")] == 1
    assert s.quotas.used[("tenant:default", "cost_micro_usd", "day")] == 0


def test_a_provider_removed_since_routing_is_skipped() -> None:
    s = Setup([reply()], [reply('{"a": 1}')])
    decision = s.router.route(TASK)
    s.router.catalog = FakeCatalog(MODELS, {"anthropic": s.anthropic})
    result = s.router.call(decision, _request, _parse)
    assert _outcomes(result) == [("openai", "NotFoundError"), ("anthropic", "ok")]


def test_a_decision_without_candidates_fails_with_no_attempt() -> None:
    s = Setup([reply()], [reply()])
    s.router.catalog = FakeCatalog([], {})
    result = s.call()
    assert (result.ok, result.attempts, result.cost_usd) == (False, (), 0.0)
    assert result.as_dict() == {
        "ok": False,
        "provider": None,
        "model": None,
        "prompt_version": None,
        "cost_usd": 0.0,
        "attempts": [],
    }


def test_reservations_and_refunds_hold_on_the_real_sqlite_quota_store(tmp_path: Path) -> None:
    from coderev.quotas.sqlite_store import SqliteQuotaStore

    def limits(tenant: str, provider: str) -> tuple[QuotaLimit, ...]:
        return (QuotaLimit(f"tenant:{tenant}", "tokens", "day", 10_000),
                QuotaLimit(f"provider:{provider}", "requests", "minute", 2))  # fmt: skip

    s = Setup([reply('{"a": 1}', tokens=(1000, 200))], [reply('{"b": 2}', tokens=(1000, 200))],
              limits=limits)  # fmt: skip
    s.router.quotas = SqliteQuotaStore(tmp_path / "quotas.sqlite")
    results = [s.call() for _ in range(3)]
    assert [r.candidate.model.provider for r in results] == ["openai", "openai", "anthropic"]
    assert results[2].attempts[0].outcome == "QuotaExceeded"
    assert "provider:openai requests per minute (limit 2) has no room" in (
        results[2].attempts[0].detail
    )
    left = s.router.quotas.check_and_spend(limits("default", "hf"), {"tokens": 0})
    assert left.remaining["tenant:default|tokens|day"] == 10_000 - 3 * 1200  # actual use only
