"""functions/experiments on the embedded adapters: configurations are versioned and never
changed, an experiment walks its lifecycle (each step an audit entry and a CloudEvent), an
illegal step is refused with 409 and changes nothing, another tenant sees nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coderev import bootstrap
from coderev.auth.principal import Principal


def _request(kit: Any, method: str, path: str, body: object = None,
             principal: Principal | None = None) -> dict[str, Any]:  # fmt: skip
    from urllib.parse import parse_qsl

    event: dict[str, Any] = kit.sample("experiments_list.json")
    path, _, query = path.partition("?")
    if query:
        given = dict(parse_qsl(query))
        event["queryStringParameters"] = given
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in given.items()}
    event.update(httpMethod=method, path=path, resource=path,
                 body=None if body is None else json.dumps(body))  # fmt: skip
    event["requestContext"].update(httpMethod=method, resourcePath=path, path=f"/v1{path}")
    if principal is not None:
        event["requestContext"]["authorizer"] = principal.to_context()
    return event


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def _call(invoke: Any, kit: Any, method: str, path: str, body: object = None,
          principal: Principal | None = None) -> tuple[int, Any]:  # fmt: skip
    response = invoke("experiments", _request(kit, method, path, body, principal))
    return response["statusCode"], _body(response)


PLAN = {"primary_metric": "precision", "guard_metrics": ["cost_usd", "latency_ms"],
        "mde": 0.05, "alpha": 0.05}  # fmt: skip


def test_an_experiment_walks_its_lifecycle_with_events_and_audit(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    status, made = _call(invoke, kit, "POST", "/configurations", {"name": "prod"})
    assert status == 201 and made["ref"] == "prod@1" and made["used_at"] is None
    status, strict = invoke("experiments", kit.sample("experiments_configuration.json")), None
    assert status["statusCode"] == 201
    strict = _body(status)
    assert strict["ref"] == "strict@1"
    assert strict["spec"]["severity_policy"] == {"min_severity": "medium",
                                                 "rules": {"CR-MET-005": "off"}}  # fmt: skip
    # a second POST of a name is its next version; the first is unchanged
    higher = {"name": "strict", "severity_policy": {"min_severity": "high"}}
    status, again = _call(invoke, kit, "POST", "/configurations", higher)
    assert status == 201 and again["ref"] == "strict@2" and again["digest"] != strict["digest"]
    assert _call(invoke, kit, "GET", "/configurations/strict@1")[1]["digest"] == strict["digest"]
    assert _call(invoke, kit, "GET", "/configurations/strict")[1]["version"] == 2

    status, exp = _call(invoke, kit, "POST", "/experiments", {
        "name": "stricter severity", "baseline": "prod", "candidate": "strict@1", "plan": PLAN,
        "population": {"projects": ["shop"], "corpus": "precision"},
    })  # fmt: skip
    assert status == 201, exp
    assert exp["state"] == "draft" and exp["baseline"] == "prod@1"
    assert exp["allowed"] == ["start", "archive"]
    path = f"/experiments/{exp['id']}"

    status, error = _call(invoke, kit, "POST", f"{path}/evaluate")
    assert status == 409 and error["error"] == "IllegalTransitionError"
    assert "draft" in error["message"] and "start" in error["message"]
    assert _call(invoke, kit, "GET", path)[1]["state"] == "draft"  # nothing changed

    assert _call(invoke, kit, "POST", f"{path}/start", {"reason": "go"})[1]["state"] == "running"
    assert _call(invoke, kit, "GET", "/configurations/strict@1")[1]["used_at"] is not None
    assert _call(invoke, kit, "POST", f"{path}/start")[0] == 409
    status, done = _call(invoke, kit, "POST", f"{path}/evaluate")
    assert status == 200 and done["state"] == "evaluated"
    assert done["allowed"] == ["promote", "quarantine", "archive"]
    assert [s["verb"] for s in done["history"]] == ["create", "start", "evaluate"]
    assert done["history"][1]["reason"] == "go" and done["history"][1]["actor"] == "local"

    types = [e.type for e in bootstrap.audit_repository().list(subject=exp["id"])]
    assert types == ["coderev.experiment.evaluated", "coderev.experiment.started",
                     "coderev.experiment.created"]  # fmt: skip
    published = [r for r in bootstrap.event_bus().recorded  # type: ignore[attr-defined]
                 if r.topic.startswith("coderev.experiment.")]  # fmt: skip
    assert [r.topic for r in published] == ["coderev.experiment.created",
                                            "coderev.experiment.started",
                                            "coderev.experiment.evaluated"]  # fmt: skip
    event = json.loads(published[1].value)
    assert event["data"]["from"] == "draft" and event["data"]["to"] == "running"
    assert event["id"] == done["history"][1]["event_id"]
    assert _call(invoke, kit, "POST", f"{path}/archive")[1]["state"] == "archived"
    assert _call(invoke, kit, "POST", f"{path}/archive")[0] == 409


def test_plans_and_references_are_checked(embedded: Path, invoke: Any, kit: Any) -> None:
    _call(invoke, kit, "POST", "/configurations", {"name": "prod"})
    status, error = _call(invoke, kit, "POST", "/experiments", {
        "name": "x", "baseline": "prod", "candidate": "nowhere", "plan": PLAN})  # fmt: skip
    assert status == 404 and "nowhere" in error["message"]
    status, error = _call(invoke, kit, "POST", "/experiments", {
        "name": "x", "baseline": "prod", "candidate": "prod@1", "plan": PLAN})  # fmt: skip
    assert status == 422 and "one configuration" in error["message"]
    status, error = _call(invoke, kit, "POST", "/configurations",
                          {"name": "bad", "thresholds": {"max_lines": 3}})  # fmt: skip
    assert status == 422 and "max_lines" in error["message"]
    status, _ = _call(invoke, kit, "POST", "/experiments", {
        "name": "x", "baseline": "prod", "candidate": "prod",
        "plan": {**PLAN, "alpha": 0.7}})  # fmt: skip
    assert status == 422


def test_another_tenant_sees_nothing(embedded: Path, invoke: Any, kit: Any) -> None:
    acme = Principal("u-1", "acme", frozenset({"admin"}), "user")
    globex = Principal("u-2", "globex", frozenset({"admin"}), "user")
    _call(invoke, kit, "POST", "/configurations", {"name": "prod"}, acme)
    _call(invoke, kit, "POST", "/configurations", {"name": "next"}, acme)
    _, exp = _call(invoke, kit, "POST", "/experiments", {
        "name": "x", "baseline": "prod", "candidate": "next", "plan": PLAN}, acme)  # fmt: skip
    assert _call(invoke, kit, "GET", f"/experiments/{exp['id']}", None, globex)[0] == 404
    assert _call(invoke, kit, "POST", f"/experiments/{exp['id']}/start", None, globex)[0] == 404
    assert _call(invoke, kit, "GET", "/experiments", None, globex)[1] == {"experiments": []}
    assert _call(invoke, kit, "GET", "/configurations/prod", None, globex)[0] == 404


def test_paired_observations_and_the_openapi_document(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    _call(invoke, kit, "POST", "/configurations", {"name": "prod"})
    _call(invoke, kit, "POST", "/configurations", {"name": "next"})
    _, exp = _call(invoke, kit, "POST", "/experiments", {
        "name": "x", "baseline": "prod", "candidate": "next", "plan": PLAN})  # fmt: skip
    path = f"/experiments/{exp['id']}/observations"
    for arm, precision in (("baseline", [1, 4]), ("candidate", [3, 4])):
        metrics = {"precision": precision, "cost_usd": 0.1}
        status, kept = _call(invoke, kit, "POST", path,
                             {"task": "a1", "arm": arm, "metrics": metrics})  # fmt: skip
        assert (status, kept) == (201, {"recorded": True})
    _call(invoke, kit, "POST", path, {"task": "a2", "arm": "baseline", "metrics": {}})
    again = _call(invoke, kit, "POST", path, {"task": "a1", "arm": "baseline", "metrics": {}})
    assert again == (200, {"recorded": False})
    status, pairs = _call(invoke, kit, "GET", path)
    assert status == 200
    assert pairs["pairs"] == [{"task": "live:a1",
                               "baseline": {"precision": [1, 4], "cost_usd": 0.1},
                               "candidate": {"precision": [3, 4], "cost_usd": 0.1}}]  # fmt: skip
    response = invoke("experiments", kit.sample("experiments_openapi.json"))
    document = json.loads(response["body"])
    assert "/experiments/{experiment_id}/start" in document["paths"]


def test_feedback_gives_acceptance_and_the_collapsed_rules(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    users = [Principal(f"u-{i}", "default", frozenset({"reviewer"}), "user") for i in range(6)]
    for i, user in enumerate(users):  # CR-MET-005: 1 of 6 accepted; S101: 5 of 6
        for rule, accepted in (("CR-MET-005", i == 0), ("S101", i != 0)):
            status, view = _call(invoke, kit, "POST", "/feedback", {
                "analysis_id": "a-1", "fingerprint": f"fp-{rule}", "rule_id": rule,
                "project": "shop", "configuration": "prod@1",
                "verdict": "accepted" if accepted else "dismissed"}, user)  # fmt: skip
            assert status == 201 and view["actor"] == user.subject
    # a later verdict replaces the caller's earlier one
    _call(invoke, kit, "POST", "/feedback", {"analysis_id": "a-1", "fingerprint": "fp-S101",
          "rule_id": "S101", "project": "shop", "verdict": "wrong"}, users[1])  # fmt: skip

    status, view = _call(invoke, kit, "GET", "/feedback/acceptance?project=shop")
    assert status == 200
    rows = {r["key"]: r for r in view["rows"]}
    assert rows["CR-MET-005"]["accepted"] == 1 and rows["CR-MET-005"]["verdicts"] == 6
    assert rows["S101"] == {"key": "S101", "accepted": 4, "dismissed": 1, "wrong": 1,
                            "verdicts": 6, "acceptance": 4 / 6}  # fmt: skip
    assert view["collapsed_rules"] == {"CR-MET-005": 1 / 6}
    assert "< 30% acceptance" in view["note"]
    by_config = _call(invoke, kit, "GET", "/feedback/acceptance?by=configuration")[1]
    assert [r["key"] for r in by_config["rows"]] == ["prod@1"]
    entries = bootstrap.audit_repository().list(type="coderev.feedback.recorded")
    assert len(entries) == 13
    bad = _call(invoke, kit, "POST", "/feedback",
                {"analysis_id": "a", "fingerprint": "f", "verdict": "meh"})  # fmt: skip
    assert bad[0] == 422


def test_a_report_link_shows_a_form_and_only_its_post_records(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    query = {"analysis": "a-9", "fingerprint": "fp1", "rule": "S101", "verdict": "dismissed",
             "project": "shop"}  # fmt: skip
    event = _request(kit, "GET", "/feedback/new")
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    page = invoke("experiments", event)
    assert page["statusCode"] == 200 and '<form method="post">' in page["body"]
    assert "dismiss as noise" in page["body"]
    assert bootstrap.experiment_repository().feedback("default") == []  # a GET records nothing

    post = _request(kit, "POST", "/feedback/new")
    post["body"] = "&".join(f"{k}={v}" for k, v in query.items())
    post["headers"]["Content-Type"] = "application/x-www-form-urlencoded"
    answer = invoke("experiments", post)
    assert answer["statusCode"] == 201 and "Recorded" in answer["body"]
    [kept] = bootstrap.experiment_repository().feedback("default")
    assert (kept.verdict, kept.rule_id, kept.project) == ("dismissed", "S101", "shop")


def test_a_body_that_is_not_utf8_is_refused_not_a_server_error(
    embedded: Path, invoke: Any, kit: Any
) -> None:
    import base64

    event = _request(kit, "POST", "/configurations")
    event.update(body=base64.b64encode(b"x\xf0l\x01}").decode(), isBase64Encoded=True)
    event["headers"]["Content-Type"] = "application/json"
    response = invoke("experiments", event)
    assert response["statusCode"] == 422
    assert _body(response) == {"error": "ValidationError",
                               "message": "body: not UTF-8 text, so not JSON"}  # fmt: skip
