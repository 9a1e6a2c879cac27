"""Every report format says who reviewed what, with which model, at what cost, and what was
not reviewed; the offline default's reports stay as they were."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from jsonschema import Draft7Validator
from tests.unit.reports.conftest import official_sarif_schema  # noqa: F401 - a fixture
from tests.unit.review.ai.fakes import ScriptedModel, router_over, two_models

from coderev.domain.errors import ProviderUnavailable
from coderev.domain.report import ReviewResult
from coderev.reports import render_reports, validate_report
from coderev.review.ai.reviewer import AIReviewer
from coderev.review.offline import OfflineReviewer
from coderev.review.reviewer import ReviewInput


def ai_result(reviewed: ReviewResult, subject: ReviewInput, sources: Mapping[str, bytes],
              *models: ScriptedModel) -> ReviewResult:  # fmt: skip
    def load(paths: Sequence[str]) -> Mapping[str, bytes]:
        return {p: sources[p] for p in paths if p in sources}

    router = router_over(two_models(), *models) if models else None
    review = AIReviewer("auto", router, load, OfflineReviewer()).review(subject)
    return replace(reviewed, review=review)


def test_the_reports_record_models_tokens_cost_and_what_was_not_sent(
    reviewed: ReviewResult, subject: ReviewInput, sources: Mapping[str, bytes],
    official_sarif_schema: dict[str, Any],  # noqa: F811
) -> None:  # fmt: skip
    down = ScriptedModel("openai", faults=[ProviderUnavailable("503", provider="openai")])
    result = ai_result(reviewed, subject, sources, down, ScriptedModel("anthropic"))
    texts = render_reports(result)
    report = json.loads(texts["json"])
    validate_report(report)
    assert report["schema_version"] == "1.2"
    ai = report["review"]["ai"]
    assert ai["mode"] == "ai" and ai["models"] == ["anthropic:claude-test"]
    (chunk,) = ai["chunks"]
    assert [a["outcome"] for a in chunk["attempts"]] == ["ProviderUnavailable", "ok"]
    assert chunk["input_tokens"] > 0 and chunk["cost_usd"] > 0 and chunk["latency_ms"] > 0
    assert ai["totals"]["cost_usd"] == chunk["cost_usd"]
    assert ai["not_reviewed"] == [{"path": "docs/conf.py",
                                   "reason": "docs file: not sent to a model"}]  # fmt: skip
    reviewers = {c["reviewer"] for c in report["review"]["comments"]}
    assert reviewers == {"offline", "anthropic:claude-test"}

    sarif = json.loads(texts["sarif"])
    Draft7Validator(official_sarif_schema).validate(sarif)
    run = sarif["runs"][0]
    ai_results = [r for r in run["results"] if r["ruleId"] == "CR-AI-REVIEW"]
    assert {r["properties"]["reviewer"] for r in ai_results} == {"anthropic:claude-test"}
    assert run["properties"]["aiReview"]["totals"] == ai["totals"]

    assert "### AI review" in texts["md"] and "#### Comments by AI models" in texts["md"]
    assert "anthropic:claude-test" in texts["md"]
    assert 'id="ai-review"' in texts["html"] and "by anthropic:claude-test" in texts["html"]
    assert "ProviderUnavailable" in texts["html"]


def test_auto_without_a_provider_says_so_in_every_report(
    reviewed: ReviewResult, subject: ReviewInput, sources: Mapping[str, bytes]
) -> None:
    texts = render_reports(ai_result(reviewed, subject, sources))
    report = json.loads(texts["json"])
    validate_report(report)
    ai = report["review"]["ai"]
    assert (ai["requested"], ai["mode"], ai["chunks"]) == ("auto", "offline", [])
    assert "no AI provider is configured" in ai["note"]
    assert all(c["reviewer"] == "offline" for c in report["review"]["comments"])
    for fmt in ("md", "html"):
        assert "no AI provider is configured" in texts[fmt], fmt


def test_the_offline_reviewers_reports_are_unchanged(reviewed: ReviewResult) -> None:
    report = json.loads(render_reports(reviewed, ("json",))["json"])
    assert report["schema_version"] == "1.1"
    assert "ai" not in report["review"]
    assert all(set(c) == {"path", "line", "severity", "category", "title", "why",
                          "suggestion", "fingerprints", "role"}
               for c in report["review"]["comments"])  # fmt: skip
