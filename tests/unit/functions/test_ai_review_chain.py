"""An AI review through the analysis state machine of template.yaml, on the real handlers:
Review plans the chunks, the ReviewChunks Map sends each to a routed model, MergeReview
merges and renders; a chunk whose step fails is recorded failed, never dropped; the offline
reviewer (and `auto` without a provider) never enters the Map."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.unit.functions.test_analysis_chain import _notify, _post, chain  # noqa: F401
from tests.unit.review.ai.fakes import ScriptedModel, router_over, two_models

from coderev import bootstrap
from coderev.domain.errors import ProviderUnavailable

AI_STEPS = ("analysis_review_chunk", "analysis_review_merge")


def _report(kit: Any, invoke: Any, accepted: dict[str, Any]) -> dict[str, Any]:
    status = kit.sample("analyses_status.json")
    status["path"] = accepted["status_url"]
    view = json.loads(invoke("analyses", status)["body"])
    assert view["status"] == "SUCCEEDED", view
    key = f"reports/{accepted['id']}/report.json"
    document: dict[str, Any] = json.loads(bootstrap.object_store().get(key))
    return document


def _review(chain: Any, invoke: Any, kit: Any) -> tuple[list[str], dict[str, Any]]:  # noqa: F811
    tasks, _interpreter, executions = chain
    accepted = _post(invoke, kit, kit.zip_archive(kit.shop))
    _notify(invoke, kit, accepted["upload_key"])
    [execution] = executions
    assert execution.status.value == "SUCCEEDED", (execution.error, execution.cause)
    return tasks.calls, _report(kit, invoke, accepted)


def test_chunks_go_through_the_map_and_merge_with_a_fallback(
    chain: Any, invoke: Any, kit: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("CODEREV_REVIEWER", "auto")
    monkeypatch.setenv("CODEREV_AI_CHUNK_TOKENS", "620")  # the prompt and a file or two
    down = ScriptedModel("openai", faults=[ProviderUnavailable("503", provider="openai")])
    router = router_over(two_models(), down, ScriptedModel("anthropic"))
    monkeypatch.setattr(bootstrap, "_review_router", lambda: router)
    calls, report = _review(chain, invoke, kit)
    assert calls[-1] == "analysis_finalize" and calls[-2] == "analysis_review_merge"
    ai = report["review"]["ai"]
    assert ai["mode"] == "ai" and ai["totals"]["chunks"] == calls.count("analysis_review_chunk")
    assert ai["totals"]["chunks"] >= 2 and ai["totals"]["failed"] == 0
    outcomes = [[a["outcome"] for a in c["attempts"]] for c in ai["chunks"]]
    assert ["ProviderUnavailable", "ok"] in outcomes  # the first chunk fell back
    assert set(ai["models"]) <= {"openai:gpt-test", "anthropic:claude-test"}
    assert any(c["reviewer"] != "offline" for c in report["review"]["comments"])
    assert "ai_review" in report["timings"]


def test_a_chunk_whose_step_fails_is_recorded_failed(
    chain: Any, invoke: Any, kit: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setenv("CODEREV_REVIEWER", "auto")
    router = router_over(two_models(), ScriptedModel("openai"), ScriptedModel("anthropic"))
    monkeypatch.setattr(bootstrap, "_review_router", lambda: router)
    from coderev.pipeline import steps_review

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the sandbox ran out of memory")

    monkeypatch.setattr(steps_review, "review_chunk", broken)
    monkeypatch.setattr("coderev.pipeline.steps.review_chunk", broken)
    _calls, report = _review(chain, invoke, kit)
    ai = report["review"]["ai"]
    assert ai["totals"]["failed"] == ai["totals"]["chunks"] == 1
    (chunk,) = ai["chunks"]
    assert chunk["status"] == "failed" and "RuntimeError" in chunk["error"]
    assert "the sandbox ran out of memory" in chunk["error"]
    assert "**1 chunk failed**" in report["review"]["summary"]


@pytest.mark.parametrize("reviewer", ["offline", "auto"])
def test_no_map_without_models(
    chain: Any, invoke: Any, kit: Any, monkeypatch: pytest.MonkeyPatch, reviewer: str  # noqa: F811
) -> None:
    monkeypatch.setenv("CODEREV_REVIEWER", reviewer)
    monkeypatch.setattr(bootstrap, "_review_router", lambda: None)  # no provider configured
    calls, report = _review(chain, invoke, kit)
    assert not set(AI_STEPS) & set(calls)
    assert calls[-2:] == ["analysis_review", "analysis_finalize"]
    if reviewer == "auto":
        assert report["review"]["ai"]["mode"] == "offline"
        assert "no AI provider is configured" in report["review"]["ai"]["note"]
    else:
        assert "ai" not in report["review"]
