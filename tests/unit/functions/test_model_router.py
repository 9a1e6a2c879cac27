"""functions/model_router: the route preview, invoked and over HTTP, on its sample events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.unit.routing.fakes import FakeCatalog, FakeClock, MemoryQuotaStore, health, model

from coderev import bootstrap
from coderev.routing import InMemoryBreaker, Router

MODELS = [
    model("openai", "gpt-std", price=(2.0, 8.0)),
    model("anthropic", "claude-max", tier="premium", price=(15.0, 75.0), context=200_000),
    model("hf", "qwen-small", tier="economy", price=(0.1, 0.1), context=8_000),
]


@pytest.fixture
def routed(embedded) -> Iterator[FakeClock]:  # type: ignore[no-untyped-def]
    """bootstrap.router() over a fake catalog whose anthropic probe just failed (restored
    before `embedded` resets the bootstrap)."""
    clock = FakeClock()
    probe = health("anthropic", False, clock.now - 5, "ProviderUnavailable: 529")
    catalog = FakeCatalog(MODELS, health={"anthropic": probe})
    router = Router(catalog, MemoryQuotaStore(), breaker=InMemoryBreaker(clock=clock), clock=clock)
    built = bootstrap.router
    bootstrap.router = lambda: router  # type: ignore[assignment]
    yield clock
    bootstrap.router = built


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_invoke_answers_the_decision_with_reasons(routed, invoke, kit) -> None:
    answer = invoke("model_router", kit.sample("model_router.json"))
    assert answer["rule"] == "default@rules-v1"
    assert answer["arm"] is None
    assert [(c["provider"], c["model"]) for c in answer["candidates"]] == [
        ("openai", "gpt-std"), ("hf", "qwen-small")]  # fmt: skip
    assert answer["candidates"][0]["prompt_version"] == "review-v1"
    assert answer["candidates"][0]["reason"].startswith("rule default (")
    (left_out,) = answer["skipped"]
    assert left_out["provider"] == "anthropic" and "ProviderUnavailable: 529" in left_out["reason"]
    assert "1. openai/gpt-std (prompt review-v1)" in answer["explanation"]
    assert answer["task"]["project"] == "3f2b8c1e-demo-project"


def test_http_preview_of_a_large_chunk_within_budget(routed, invoke, kit) -> None:
    response = invoke("model_router", kit.sample("model_router_preview.json"))
    assert response["statusCode"] == 200, response["body"]
    answer = _body(response)
    assert answer["rule"] == "large-chunk@rules-v1"
    assert answer["task"]["budget_usd"] == 0.5
    assert [c["model"] for c in answer["candidates"]] == ["gpt-std"]
    skipped = {s["model"]: s["reason"] for s in answer["skipped"]}
    assert skipped["qwen-small"] == "rule large-chunk admits only: tier premium; tier standard"
    assert skipped["claude-max"].startswith("provider_health probe failed at ")


def test_http_preview_refuses_a_task_that_is_not_one(routed, invoke, kit) -> None:
    event = kit.sample("model_router_preview.json")
    event["body"] = json.dumps({"language": "python", "input_tokens": -1})
    response = invoke("model_router", event)
    assert response["statusCode"] == 422
    assert _body(response)["message"].startswith("body input_tokens: Input should be greater")


def test_http_preview_of_an_unknown_reviewer_is_a_400(routed, invoke, kit) -> None:
    event = kit.sample("model_router_preview.json")
    event["body"] = json.dumps({"language": "python", "input_tokens": 10,
                                "reviewer": "gemini:pro"})  # fmt: skip
    response = invoke("model_router", event)
    assert response["statusCode"] == 422  # refused by the body's schema before routing
    assert "reviewer" in _body(response)["message"]


def test_invoke_refuses_a_task_that_is_not_one(routed, invoke) -> None:
    with pytest.raises(Exception, match="body input_tokens: Field required") as caught:
        invoke("model_router", {"language": "python"})
    assert type(caught.value).__name__ == "InvalidRouteRequestError"
