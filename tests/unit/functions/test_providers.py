"""functions/providers and functions/provider_health on the embedded adapters: the registry's
HTTP API, and the proof that a key sent to it is never seen again — not in an answer, an
error, a log line (even with the request event logging and DEBUG switched on), an event
published, the health records, nor the database file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from tests.fake_providers import FakeBuilder

from coderev import bootstrap

KEY = "sk-proj-NEVER-SEEN-AGAIN-0123456789"
NEW_KEY = "sk-proj-ROTATED-NEVER-SEEN-987654"


def _request(kit: Any, method: str, path: str, body: object = None) -> dict[str, Any]:
    event: dict[str, Any] = kit.sample("providers_list.json")
    event.update(httpMethod=method, path=path, resource=path,
                 body=None if body is None else json.dumps(body))  # fmt: skip
    event["requestContext"].update(httpMethod=method, resourcePath=path, path=f"/v1{path}")
    return event


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


@pytest.fixture
def loud(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything a careless configuration would log: the event, at DEBUG."""
    monkeypatch.setenv("POWERTOOLS_LOGGER_LOG_EVENT", "true")
    monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HUGGINGFACE_API_KEY", "OPENAI_BASE_URL",
                 "ANTHROPIC_BASE_URL", "CODEREV_HF_ENDPOINT_URL", "CODEREV_KMS_KEY_ID",
                 "CODEREV_MASTER_KEY"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)


def test_the_registry_api_round_trip_never_shows_the_key(
    embedded: Path, invoke: Any, kit: Any, loud: None, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    answers = []

    created = invoke("providers", kit.sample("providers_create.json"))
    answers.append(created)
    assert created["statusCode"] == 201
    assert created["multiValueHeaders"]["Location"] == ["/providers/corp-gateway"]
    view = _body(created)
    assert view["key"]["set"] is True and view["key"]["version"] == 1
    assert view["key"]["wrapped_by"].startswith("local:") and "api_key" not in view
    sample_key = json.loads(kit.sample("providers_create.json")["body"])["api_key"]

    body = {"name": "openai", "kind": "openai", "api_key": KEY}
    answers.append(invoke("providers", _request(kit, "POST", "/providers", body)))
    answers.append(invoke("providers", _request(kit, "POST", "/providers", body)))  # 409
    patch = {"timeout_s": 20, "models": [{"model": "gpt-4.1-mini", "tier": "economy"}]}
    answers.append(invoke("providers", _request(kit, "PATCH", "/providers/openai", patch)))
    rotate = _request(kit, "PUT", "/providers/openai/key", {"api_key": NEW_KEY})
    answers.append(invoke("providers", rotate))
    answers.append(invoke("providers", _request(kit, "POST", "/providers/openai/disable")))
    answers.append(invoke("providers", _request(kit, "GET", "/providers/openai")))
    answers.append(invoke("providers", _request(kit, "GET", "/providers")))

    statuses = [a["statusCode"] for a in answers]
    assert statuses == [201, 201, 409, 200, 200, 200, 200, 200]
    shown = _body(answers[-2])
    assert (shown["enabled"], shown["timeout_s"], shown["key"]["version"]) == (False, 20.0, 2)
    assert [m["model"] for m in shown["models"]] == ["gpt-4.1-mini"]
    assert [p["name"] for p in _body(answers[-1])["providers"]] == ["corp-gateway", "openai"]
    assert bootstrap.provider_registry().open_key("openai").get_secret_value() == NEW_KEY  # type: ignore[union-attr]
    assert _body(answers[2])["error"] == "ProviderExistsError"

    logs = capsys.readouterr()
    seen = json.dumps(answers) + logs.out + logs.err + caplog.text
    events = json.dumps([r.event for r in bootstrap.event_bus().recorded])  # type: ignore[attr-defined]
    assert "coderev.provider.key_rotated" in events
    stored = b"".join(p.read_bytes() for p in embedded.glob("coderev.db*"))
    for key in (KEY, NEW_KEY, sample_key):
        assert key not in seen and key not in events
        assert key.encode() not in stored


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"name": "Bad Name", "kind": "openai", "api_key": KEY}, "body name"),
        ({"name": "ok", "kind": "openai", "api_key": 12345678901234567890}, "body api_key"),
        ({"name": "ok", "kind": "openai", "api_key": KEY, "apikey": KEY}, "body apikey"),
        ({"name": "ok", "kind": "gemini", "api_key": KEY}, "body kind"),
        ({"name": "ok", "kind": "openai", "api_key": " " + KEY}, None),
    ],
)
def test_a_refused_request_does_not_echo_the_key(
    embedded: Path, invoke: Any, kit: Any, loud: None, capsys: pytest.CaptureFixture[str],
    body: dict[str, object], where: str | None,
) -> None:  # fmt: skip
    response = invoke("providers", _request(kit, "POST", "/providers", body))

    assert response["statusCode"] == 422
    error = _body(response)
    if where is not None:
        assert error["error"] == "ValidationError" and error["message"].startswith(where)
    else:
        assert error["error"] == "InvalidProviderError"
    logs = capsys.readouterr()
    for text in (response["body"], logs.out, logs.err):
        assert KEY not in text and "12345678901234567890" not in text
    assert bootstrap.provider_registry().list() == []


def test_unknown_providers_and_routes(embedded: Path, invoke: Any, kit: Any) -> None:
    for method, path, body in (("GET", "/providers/nope", None),
                               ("PUT", "/providers/nope/key", {"api_key": KEY}),
                               ("PATCH", "/providers/nope", {"enabled": True})):  # fmt: skip
        response = invoke("providers", _request(kit, method, path, body))
        assert response["statusCode"] == 404, path
        assert _body(response)["error"] == "ProviderNotFoundError"
        assert KEY not in response["body"]


def test_the_list_shows_environment_providers_while_the_registry_is_empty(
    embedded: Path, invoke: Any, kit: Any, loud: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    bootstrap.reset()

    response = invoke("providers", kit.sample("providers_list.json"))

    (provider,) = _body(response)["providers"]
    assert (provider["name"], provider["source"], provider["key"]["set"]) == (
        "anthropic", "environment", True,
    )  # fmt: skip
    assert provider["models"] and KEY not in response["body"] + capsys.readouterr().out


def test_the_openapi_document_marks_keys_write_only(embedded: Path, invoke: Any, kit: Any) -> None:
    response = invoke("providers", _request(kit, "GET", "/providers/openapi.json"))

    document = json.loads(response["body"])
    paths = {"/providers", "/providers/{name}", "/providers/{name}/disable",
             "/providers/{name}/key"}  # fmt: skip
    assert set(document["paths"]) == paths
    schemas = document["components"]["schemas"]
    for request in ("ProviderCreate", "KeyRotation"):
        key = schemas[request]["properties"]["api_key"]
        options = key.get("anyOf", [key])
        assert any(o.get("writeOnly") and o.get("format") == "password" for o in options)
    views = [name for name in schemas if name.endswith("View") or name == "ProviderList"]
    assert views and all("api_key" not in json.dumps(schemas[name]) for name in views)


def test_provider_health_records_redacted_outcomes(
    embedded: Path, invoke: Any, kit: Any, loud: None, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    builder = FakeBuilder(outcomes={"openai": f"AuthenticationError: bad key {KEY}"})
    monkeypatch.setattr("coderev.providers.catalog._sdk_build", builder)
    for name, kind in (("openai", "openai"), ("claude", "anthropic")):
        invoke("providers", _request(kit, "POST", "/providers",
                                     {"name": name, "kind": kind, "api_key": KEY}))  # fmt: skip

    summary = invoke("provider_health", kit.sample("provider_health.json"))
    again = invoke("provider_health", kit.sample("provider_health.json"))

    assert (summary["probed"], summary["ok"], summary["failing"]) == (2, 1, ["openai"])
    assert again["providers"]["openai"]["consecutive_failures"] == 2
    assert again["providers"]["openai"]["error"] == "AuthenticationError: bad key [redacted]"
    assert again["providers"]["claude"]["latency_ms"] == 12.5
    assert [c.probed for c in builder.built] == [["claude-3-5-haiku-latest"] * 2,
                                                 ["gpt-4o-mini"] * 2]  # fmt: skip
    listed = invoke("providers", _request(kit, "GET", "/providers/openai"))
    assert _body(listed)["health"]["consecutive_failures"] == 2
    logs = capsys.readouterr()
    assert KEY not in json.dumps([summary, again]) + listed["body"] + logs.out + logs.err
