"""One contract suite for the routing circuit breakers: in-process and Redis-shared.

Redis is the machine's server: REDIS_URL, else redis://127.0.0.1:6379/15, under a key prefix
of this run's own (deleted after). It must answer; an unreachable server fails the test.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis

from coderev.routing import CircuitBreaker, InMemoryBreaker, RedisBreaker

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


Make = Callable[[], CircuitBreaker]


@pytest.fixture(params=["memory", "redis"])
def breakers(request: pytest.FixtureRequest) -> Iterator[tuple[Make, Clock]]:
    """A factory of breakers sharing one state (Redis: one prefix; memory: one instance)."""
    clock = Clock()
    settings = {"failures": 3, "cooldown_s": 30.0, "trial_s": 60.0, "clock": clock}
    if request.param == "memory":
        shared = InMemoryBreaker(**settings)  # type: ignore[arg-type]
        yield (lambda: shared), clock
        return
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); start it or set REDIS_URL")
    prefix = f"coderev-test-routing:{uuid.uuid4().hex}:"
    yield (lambda: RedisBreaker(redis.Redis.from_url(REDIS_URL), prefix=prefix, **settings)), clock  # type: ignore[arg-type]
    keys = list(client.scan_iter(f"{prefix}*"))
    if keys:
        client.delete(*keys)


def test_a_provider_is_closed_until_consecutive_failures_reach_the_threshold(
    breakers: tuple[Make, Clock],
) -> None:
    make, clock = breakers
    breaker = make()
    assert breaker.state("openai").status == "closed" and breaker.allow("openai")
    breaker.record_failure("openai", "ProviderUnavailable")
    breaker.record_failure("openai", "ProviderTimeout")
    assert breaker.state("openai").status == "closed" and breaker.allow("openai")
    breaker.record_failure("openai", "ProviderUnavailable")
    state = make().state("openai")  # another instance (another sandbox) sees it too
    assert (state.status, state.failures, state.last_error) == ("open", 3, "ProviderUnavailable")
    assert state.open_until == clock.now + 30
    assert state.describe(clock.now + 10) == (
        "circuit open after 3 failure(s) (last: ProviderUnavailable); tried again in 20 s"
    )
    assert not make().allow("openai")
    assert make().state("anthropic").status == "closed"  # per provider


def test_a_success_resets_the_count(breakers: tuple[Make, Clock]) -> None:
    make, clock = breakers
    breaker = make()
    breaker.record_failure("openai", "x")
    breaker.record_failure("openai", "x")
    breaker.record_success("openai")
    breaker.record_failure("openai", "x")
    state = make().state("openai")
    assert (state.status, state.failures, state.last_success_at) == ("closed", 1, clock.now)


def test_after_the_cooldown_one_trial_call_goes_and_its_outcome_decides(
    breakers: tuple[Make, Clock],
) -> None:
    make, clock = breakers
    for _ in range(3):
        make().record_failure("openai", "ProviderUnavailable")
    clock.now += 30
    assert make().state("openai").status == "half_open"
    assert make().allow("openai")  # the trial
    assert not make().allow("openai")  # nobody else while it is in flight
    make().record_failure("openai", "ProviderTimeout")  # the trial failed: open again
    state = make().state("openai")
    assert (state.status, state.open_until) == ("open", clock.now + 30)
    clock.now += 30
    assert make().allow("openai")
    make().record_success("openai")
    assert make().state("openai").status == "closed" and make().allow("openai")


def test_a_trial_whose_caller_vanished_is_given_to_another_after_trial_s(
    breakers: tuple[Make, Clock],
) -> None:
    make, clock = breakers
    for _ in range(3):
        make().record_failure("openai", "x")
    clock.now += 30
    assert make().allow("openai") and not make().allow("openai")
    breaker = make()
    if isinstance(breaker, RedisBreaker):  # Redis expires the trial key itself, in real time
        ttl_ms = redis.Redis.from_url(REDIS_URL).pttl(f"{breaker.prefix}openai:trial")
        assert 0 < ttl_ms <= 60_000
        return
    clock.now += 61
    assert make().allow("openai")


def test_a_retry_after_opens_the_circuit_at_once_for_that_long(
    breakers: tuple[Make, Clock],
) -> None:
    make, clock = breakers
    make().record_failure("anthropic", "ProviderRateLimited", open_for_s=7.5)
    state = make().state("anthropic")
    assert (state.status, state.failures, state.open_until) == ("open", 1, clock.now + 7.5)
    clock.now += 7.5
    assert make().state("anthropic").status == "half_open"


def test_concurrent_failures_are_each_counted_once(breakers: tuple[Make, Clock]) -> None:
    make, _ = breakers
    threads = [
        threading.Thread(target=lambda: [make().record_failure("hf", "x") for _ in range(20)])
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert make().state("hf").failures == 160
