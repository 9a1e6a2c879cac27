"""quota_check: check-and-spend over invoke and HTTP, on the embedded SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coderev.quotas.limits import load_limits

Invoke = Callable[[str, dict[str, Any]], Any]
# day windows: a check of the test and the next never fall in different windows (but at midnight)
LIMITS = "[tenants.acme]\nrequests = { day = 2 }\ntokens = { day = 50_000 }\n"


@pytest.fixture
def limited(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CODEREV_QUOTAS", LIMITS)
    load_limits.cache_clear()
    return embedded


def _http(kit: Any, body: str) -> dict[str, Any]:
    event: dict[str, Any] = kit.sample("quota_check_http.json")
    event["body"] = body
    return event


def test_invoke_spends_until_a_budget_is_full(limited: Path, invoke: Invoke, kit: Any) -> None:
    event = kit.sample("quota_check.json")  # acme: 1 request, 1800 tokens
    first, second, third = (invoke("quota_check", event) for _ in range(3))
    assert first == {"allowed": True, "retry_after": None, "denied_by": None,
                     "remaining": {"tenant:acme|requests|day": 1,
                                   "tenant:acme|tokens|day": 48_200}}  # fmt: skip
    assert second["allowed"] and second["remaining"]["tenant:acme|requests|day"] == 0
    assert not third["allowed"] and 0 < third["retry_after"] <= 24 * 3600
    assert third["denied_by"] == {"scope": "tenant:acme", "metric": "requests",
                                  "window": "day", "limit": 2}  # fmt: skip
    assert (limited / "quotas.sqlite").is_file()


def test_http_answers_the_decision_and_retry_after(limited: Path, invoke: Invoke, kit: Any) -> None:
    body = json.dumps({"tenant": "acme", "provider": "openai", "tokens": 30_000})
    allowed = invoke("quota_check", _http(kit, body))
    assert allowed["statusCode"] == 200 and json.loads(allowed["body"])["allowed"] is True
    denied = invoke("quota_check", _http(kit, body))  # 60,000 tokens > 50,000 a day
    answer = json.loads(denied["body"])
    assert denied["statusCode"] == 200 and answer["allowed"] is False
    assert answer["denied_by"]["metric"] == "tokens"
    (retry_after,) = denied["multiValueHeaders"]["Retry-After"]
    assert int(retry_after) >= answer["retry_after"] > int(retry_after) - 1


def test_no_limits_configured_allows(embedded: Path, invoke: Invoke, kit: Any) -> None:
    load_limits.cache_clear()
    assert invoke("quota_check", {"provider": "openai"})["allowed"] is True


@pytest.mark.parametrize(
    "event",
    [{}, {"provider": "openai", "tokens": -1}, {"provider": "a/b"},
     {"provider": "openai", "dollars": 3}],
)  # fmt: skip
def test_an_invalid_check_is_refused_by_type(
    limited: Path, invoke: Invoke, kit: Any, event: dict[str, Any]
) -> None:
    from coderev.quotas.errors import InvalidQuotaRequestError

    with pytest.raises(InvalidQuotaRequestError):
        invoke("quota_check", event)
    answer = invoke("quota_check", _http(kit, json.dumps(event)))
    assert answer["statusCode"] == 422
    assert json.loads(answer["body"])["error"] == "ValidationError"


def test_a_store_that_cannot_decide_answers_503_never_allowed(
    limited: Path, invoke: Invoke, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coderev import bootstrap

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # nothing listens on port 9
    bootstrap.reset()
    answer = invoke("quota_check", _http(kit, json.dumps({"tenant": "acme", "provider": "x"})))
    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["error"] == "QuotaStoreError"
