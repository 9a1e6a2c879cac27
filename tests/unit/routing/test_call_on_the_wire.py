"""Router.call through the real SDK adapters (coderev.providers.sdk) against coderev's own
wire server (coderev.providers.wire): each scripted fault makes the router fall back as a
user of `coderev review --reviewer auto` would see it, with every attempt recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.unit.routing.fakes import FakeCatalog, FakeClock, MemoryQuotaStore, model

from coderev import bootstrap
from coderev.domain.errors import ProviderInvalidOutput
from coderev.ports import ChatMessage, Completion, CompletionRequest, ModelProvider
from coderev.providers.sdk import build_provider
from coderev.providers.wire import Fault, Reply, Script, WireServer
from coderev.routing import Candidate, InMemoryBreaker, Router, RouteTask

KEY = "sk-route-test-5Hq2-NEVER-SHOWN"
REVIEW = '{"comments": [{"file": "a.py", "line": 1, "message": "the reply the parse accepts"}]}'
TASK = RouteTask("review_chunk", "python", 800)


@pytest.fixture(scope="module")
def server() -> Iterator[WireServer]:
    with WireServer() as running:
        yield running


@pytest.fixture
def script(server: WireServer) -> Script:
    server.app.script = Script()
    server.app.seen.clear()
    return server.app.script


def _providers(server: WireServer) -> dict[str, ModelProvider]:
    return {
        "openai": build_provider("openai", api_key=KEY, base_url=f"{server.url}/v1"),
        "anthropic": build_provider("anthropic", api_key=KEY, base_url=server.url),
    }


def _router(server: WireServer, first: str = "openai", **kwargs: Any) -> tuple[Router, FakeClock]:
    """openai's and anthropic's standard models; `first` is the cheaper, so tried first."""
    cheap, dear = (1.0, 4.0), (3.0, 15.0)
    models = [
        model("openai", "gpt-x", price=cheap if first == "openai" else dear),
        model("anthropic", "claude-x", price=cheap if first == "anthropic" else dear),
    ]
    clock = FakeClock()
    router = Router(
        FakeCatalog(models, _providers(server)),
        MemoryQuotaStore(),
        breaker=InMemoryBreaker(clock=clock),
        clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )
    return router, clock


def _request(stream: bool = False, timeout_s: float = 10.0) -> Any:
    def build(candidate: Candidate) -> CompletionRequest:
        return CompletionRequest(
            model=candidate.model.model,
            system="Review the code. Reply in JSON.",
            messages=(ChatMessage("user", "1 | def f(): return 1"),),
            max_output_tokens=300,
            stream=stream,
            timeout_s=timeout_s,
        )

    return build


def _parse(completion: Completion) -> list[Any]:
    try:
        comments: list[Any] = json.loads(completion.text)["comments"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderInvalidOutput(f"not the reply schema: {exc}") from exc
    return comments


def _outcomes(result: Any) -> list[tuple[str, str]]:
    return [(a.provider, a.outcome) for a in result.attempts]


def _apis(server: WireServer) -> list[str]:
    return [seen.api for seen in server.app.seen]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_a_429_falls_back_to_the_next_provider_without_waiting(
    server: WireServer, script: Script, stream: bool
) -> None:
    script.add(Fault("rate_limit", retry_after=30), Reply(REVIEW))
    router, clock = _router(server)
    result = router.call(router.route(TASK), _request(stream), _parse)
    assert result.ok and result.value == json.loads(REVIEW)["comments"]
    assert _outcomes(result) == [("openai", "ProviderRateLimited"), ("anthropic", "ok")]
    assert _apis(server) == ["openai-chat", "anthropic"]
    assert clock.slept == []
    assert result.completion.provider == "anthropic" and result.completion.output_tokens > 0
    assert result.cost_usd == pytest.approx(
        (result.completion.input_tokens * 3.0 + result.completion.output_tokens * 15.0) / 1e6
    )
    # the 429's Retry-After keeps openai out of the next route until it has passed
    skipped = {p: why for p, _, why in router.route(TASK).skipped}
    assert skipped["openai"].startswith("circuit open after 1 failure(s) (last: ProviderRate")


@pytest.mark.parametrize("first", ["anthropic", "openai"])
def test_a_529_overloaded_falls_back(server: WireServer, script: Script, first: str) -> None:
    script.add(Fault("overloaded"), Reply(REVIEW))
    router, _ = _router(server, first)
    result = router.call(router.route(TASK), _request(), _parse)
    second = "openai" if first == "anthropic" else "anthropic"
    assert _outcomes(result) == [(first, "ProviderUnavailable"), (second, "ok")]
    assert "529" in result.attempts[0].detail


def test_a_slow_first_token_times_out_and_falls_back(server: WireServer, script: Script) -> None:
    script.add(Fault("slow_first_token", delay_s=1.5), Reply(REVIEW))
    router, _ = _router(server)
    result = router.call(router.route(TASK), _request(stream=True, timeout_s=0.4), _parse)
    assert _outcomes(result) == [("openai", "ProviderTimeout"), ("anthropic", "ok")]


def test_a_stream_dropped_midway_falls_back(server: WireServer, script: Script) -> None:
    script.add(Fault("disconnect", after=1), Reply(REVIEW))
    router, _ = _router(server)
    result = router.call(router.route(TASK), _request(stream=True), _parse)
    assert _outcomes(result) == [("openai", "ProviderConnectionError"), ("anthropic", "ok")]


def test_malformed_json_is_retried_once_then_the_next_provider_answers(
    server: WireServer, script: Script
) -> None:
    script.add(Fault("malformed_json"), Fault("malformed_json"), Reply(REVIEW))
    router, _ = _router(server)
    result = router.call(router.route(TASK), _request(), _parse)
    assert _outcomes(result) == [
        ("openai", "ProviderInvalidOutput"),
        ("openai", "ProviderInvalidOutput"),
        ("anthropic", "ok"),
    ]
    assert _apis(server) == ["openai-chat", "openai-chat", "anthropic"]


def test_a_reply_off_the_schema_is_retried_once_on_the_same_model(
    server: WireServer, script: Script
) -> None:
    script.add(Reply("Sure! Here is my review: looks fine."), Reply(REVIEW))
    router, _ = _router(server)
    result = router.call(router.route(TASK), _request(), _parse)
    assert _outcomes(result) == [("openai", "ProviderInvalidOutput"), ("openai", "ok")]
    assert result.attempts[0].output_tokens > 0 and result.attempts[0].cost_usd > 0
    assert result.cost_usd == pytest.approx(sum(a.cost_usd for a in result.attempts))


def test_the_last_provider_is_retried_after_a_short_retry_after(
    server: WireServer, script: Script
) -> None:
    script.add(Fault("rate_limit", retry_after=2), Reply(REVIEW))
    router, clock = _router(server)
    decision = router.route(RouteTask("review_chunk", "python", 800, reviewer="anthropic:claude-x"))
    result = router.call(decision, _request(), _parse)
    assert _outcomes(result) == [("anthropic", "ProviderRateLimited"), ("anthropic", "ok")]
    assert clock.slept == [2.0]


def test_when_every_provider_fails_the_call_returns_every_attempt_and_no_key(
    server: WireServer, script: Script
) -> None:
    script.add(Fault("server_error"), Fault("rate_limit", retry_after=3600))
    router, clock = _router(server)
    result = router.call(router.route(TASK), _request(), _parse)
    assert not result.ok and result.value is None
    assert _outcomes(result) == [
        ("openai", "ProviderUnavailable"),
        ("anthropic", "ProviderRateLimited"),
    ]
    assert clock.slept == []  # an hour's Retry-After is over the 10 s cap: not waited for
    assert KEY not in json.dumps(result.as_dict())


def test_bootstrap_router_routes_over_the_providers_the_environment_implies(
    server: WireServer, script: Script, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "HUGGINGFACE_API_KEY",
        "CODEREV_HF_ENDPOINT_URL",
        "CODEREV_ROUTING_RULES",
        "CODEREV_ANALYSIS_BUDGET_USD",
        "CODEREV_QUOTAS",
        "CODEREV_QUOTAS_FILE",
        "CODEREV_PROVIDER_MODELS",
        "CODEREV_OPENAI_API",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
    bootstrap.reset()
    try:
        router = bootstrap.router()
        decision = router.route(TASK)
        assert decision.rule == "default@rules-v1"
        first, second = decision.candidates[:2]
        assert (first.model.provider, second.model.provider) == ("openai", "anthropic")
        script.add(Fault("overloaded"), Reply(REVIEW))
        result = router.call(decision, _request(), _parse)
        assert _outcomes(result) == [("openai", "ProviderUnavailable"), ("anthropic", "ok")]
        assert [s.body["model"] for s in server.app.seen] == [first.model.model, second.model.model]
    finally:
        bootstrap.reset()
