"""The AI reviewer: routed models' comments merged with the offline reviewer's, failures
recorded, the offline reviewer alone (and saying so) when no provider is configured."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import pytest
from tests.unit.review.ai.fakes import ScriptedModel, router_over, two_models

from coderev.domain.ai_review import ChunkStatus, ReviewMode
from coderev.domain.errors import ConfigError, ProviderUnavailable
from coderev.domain.review import Review
from coderev.review.ai.names import parse_reviewer
from coderev.review.ai.reviewer import AIReviewer
from coderev.review.ai.settings import AISettings
from coderev.review.offline import OfflineReviewer
from coderev.review.reviewer import ReviewInput


def loader(sources: Mapping[str, bytes]):  # type: ignore[no-untyped-def]
    def load(paths: Sequence[str]) -> Mapping[str, bytes]:
        return {p: sources[p] for p in paths if p in sources}

    return load


def review(subject: ReviewInput, sources: Mapping[str, bytes], *models: ScriptedModel,
           requested: str = "auto", settings: AISettings | None = None) -> Review:  # fmt: skip
    router = router_over(two_models(), *models) if models else None
    reviewer = AIReviewer(requested, router, loader(sources), OfflineReviewer(), settings)
    return reviewer.review(subject)


def test_model_comments_are_merged_with_the_offline_reviewers(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    offline = OfflineReviewer().review(subject)
    merged = review(subject, sources, ScriptedModel("openai"), ScriptedModel("anthropic"))
    assert merged.reviewer == "offline+openai:gpt-test"
    assert merged.comments[: len(offline.comments)] == offline.comments  # untouched, first
    by_reviewer = {(c.reviewer, c.path, c.line) for c in merged.comments}
    # the scripted model comments on the chunk's first finding (S301, pickle, line 6: below
    # the offline reviewer's bar, so kept with its fingerprint) and on line 1 of the first file
    assert ("openai:gpt-test", "src/proj/store.py", 6) in by_reviewer
    assert ("openai:gpt-test", "src/proj/store.py", 1) in by_reviewer
    pickle = next(c for c in merged.comments if c.line == 6)
    assert pickle.fingerprints and pickle.confidence == 0.8
    record = merged.ai
    assert record is not None and record.mode is ReviewMode.AI
    (chunk,) = record.chunks
    assert chunk.status is ChunkStatus.REVIEWED and chunk.model == "gpt-test"
    assert chunk.input_tokens > 0 and chunk.cost_usd > 0
    assert record.outcomes["kept"] == 2
    assert "### AI review" in merged.summary and "`openai:gpt-test` (1)" in merged.summary


def test_a_comment_on_a_posted_finding_is_merged_into_the_offline_comment(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    sql = {"file": "src/proj/store.py", "line": 10, "severity": "high", "category": "security",
           "message": "String-formatted SQL: injectable.", "suggestion": "Bind parameters.",
           "confidence": 0.9}  # fmt: skip
    again = sql | {"line": 10, "category": "security"}
    reply = json.dumps({"comments": [sql, again]})
    merged = review(subject, sources, ScriptedModel("openai", replies=[reply]))
    posted = next(c for c in merged.comments if c.line == 10)
    assert posted.reviewer == "offline+openai:gpt-test"
    assert posted.title.startswith("S608")  # the offline text stays
    assert merged.ai is not None and merged.ai.outcomes == {"kept": 0, "merged_with_static": 2}


def test_the_next_model_takes_over_when_the_first_fails(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    down = ScriptedModel("openai", faults=[ProviderUnavailable("503", provider="openai")] * 3)
    merged = review(subject, sources, down, ScriptedModel("anthropic"))
    assert merged.ai is not None
    (chunk,) = merged.ai.chunks
    assert (chunk.provider, chunk.model) == ("anthropic", "claude-test")
    assert [a.outcome for a in chunk.attempts] == ["ProviderUnavailable", "ok"]
    assert "openai/gpt-test" in chunk.route and "anthropic/claude-test" in chunk.route
    assert any(c.reviewer == "anthropic:claude-test" for c in merged.comments)


def test_invalid_json_is_retried_once_then_the_chunk_is_recorded_failed(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    offline = OfflineReviewer().review(subject)
    broken = [ScriptedModel(name, replies=["I think the code is fine."])
              for name in ("openai", "anthropic")]  # fmt: skip
    merged = review(subject, sources, *broken)
    assert merged.ai is not None and merged.ai.failed == 1
    (chunk,) = merged.ai.chunks
    assert chunk.status is ChunkStatus.FAILED
    assert [a.outcome for a in chunk.attempts] == ["ProviderInvalidOutput"] * 4
    assert "every candidate failed" in chunk.error
    assert len(broken[0].requests) == 2  # once more on the same model, then the next
    assert merged.comments == offline.comments  # the offline review stands
    assert "**1 chunk failed**" in merged.summary


def test_auto_without_a_provider_runs_offline_and_says_so(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    offline = OfflineReviewer().review(subject)
    alone = review(subject, sources)
    assert alone.reviewer == "offline" and alone.comments == offline.comments
    assert alone.ai is not None and alone.ai.mode is ReviewMode.OFFLINE
    assert "no AI provider is configured" in alone.ai.note
    assert "no AI provider is configured" in alone.summary
    with pytest.raises(ConfigError, match=r"openai:gpt-4\.1: no AI provider"):
        review(subject, sources, requested="openai:gpt-4.1")


def test_a_pinned_model_is_routed_to_that_model_only(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    merged = review(subject, sources, ScriptedModel("openai"), ScriptedModel("anthropic"),
                    requested="anthropic:claude-test")  # fmt: skip
    assert merged.ai is not None
    assert merged.ai.models == ("anthropic:claude-test",)


@pytest.mark.parametrize(
    ("given", "name"),
    [("OFFLINE", "offline"), ("auto", "auto"), ("openai:gpt-4.1", "openai:gpt-4.1"),
     ("HF:meta-llama/Llama-3.1-8B", "hf:meta-llama/Llama-3.1-8B")],
)  # fmt: skip
def test_reviewer_names(given: str, name: str) -> None:
    assert parse_reviewer(given) == name


@pytest.mark.parametrize("given", ["gpt-4.1", "openai:", "mistral:large", "auto:x"])
def test_unknown_reviewer_names_are_refused(given: str) -> None:
    with pytest.raises(ConfigError, match="choose offline, auto"):
        parse_reviewer(given)


def test_the_analysis_budget_is_shared_between_chunks_and_holds(
    subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    assert AISettings(budget_usd=1.0).ask("auto", "proj", 4).budget_usd == 0.25
    models = (ScriptedModel("openai"), ScriptedModel("anthropic"))
    broke = review(subject, sources, *models, settings=AISettings(budget_usd=1e-9))
    assert broke.ai is not None and broke.ai.failed == 1
    (chunk,) = broke.ai.chunks
    assert chunk.error.startswith("no model could take the chunk") and "budget" in chunk.error
    assert not models[0].requests and not models[1].requests  # no call was made
    assert chunk.cost_usd == 0
