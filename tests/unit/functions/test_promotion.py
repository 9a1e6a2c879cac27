"""functions/promotion on the embedded adapters: POST /promotions starts the promotion machine
for an evaluated experiment of the caller's tenant (404 for another's, 409 for one not
evaluated), GET /promotions/{id} answers the decision record re-evaluated, GET /production the
configuration in force and its history, POST /production/rollback restores the one before
(403 for a viewer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.unit.promotion.experiments import evaluated_experiment

from coderev import bootstrap
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.auth.principal import Principal

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:PromotionStateMachine"
APPROVER = Principal("u-approver", "default", frozenset({"approver"}), "user")
VIEWER = Principal("u-viewer", "default", frozenset({"viewer"}), "user")
STRANGER = Principal("u-other", "globex", frozenset({"admin"}), "user")


def _call(invoke: Any, kit: Any, method: str, path: str, body: object = None,
          principal: Principal = APPROVER) -> tuple[int, Any]:  # fmt: skip
    event: dict[str, Any] = kit.sample("promotion_production.json")
    path, _, query = path.partition("?")
    if query:
        event["queryStringParameters"] = dict([query.split("=")])
    resource = "/promotions/{id}" if path.startswith("/promotions/") else path
    event.update(httpMethod=method, path=path, resource=resource,
                 body=None if body is None else json.dumps(body))  # fmt: skip
    event["requestContext"].update(httpMethod=method, resourcePath=resource, path=f"/v1{path}")
    event["requestContext"]["authorizer"] = principal.to_context()
    response = invoke("promotion", event)
    return response["statusCode"], json.loads(response["body"])


@pytest.fixture
def starter(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> InProcessStateMachineStarter:
    monkeypatch.setenv("PROMOTION_STATE_MACHINE_ARN", MACHINE)
    recorded = InProcessStateMachineStarter()
    bootstrap.use_state_machine_starter(recorded)
    return recorded


def test_a_promotion_is_started_decided_read_and_rolled_back(
    starter: InProcessStateMachineStarter, invoke: Any, kit: Any
) -> None:
    status, error = _call(invoke, kit, "POST", "/promotions", {"experiment_id": "exp_0"})
    assert status == 404 and error["error"] == "ExperimentNotFoundError"
    experiment_id = evaluated_experiment(bootstrap.experiments(), APPROVER)
    status, error = _call(invoke, kit, "POST", "/promotions", {"experiment_id": experiment_id},
                          STRANGER)  # fmt: skip
    assert status == 404
    assert starter.started == []

    status, started = _call(invoke, kit, "POST", "/promotions", {"experiment_id": experiment_id})
    assert status == 202, started
    [execution] = starter.started
    assert execution.input["experiment_id"] == experiment_id
    assert execution.input["requester"]["subject"] == "u-approver"
    assert "tokenId" not in execution.input["requester"]
    promotion_id = started["promotion_id"]
    assert execution.input["promotion_id"] == promotion_id

    # the machine's steps, as the state machine runs them
    promotion = bootstrap.promotion_service()
    compared = promotion.compare(promotion_id, experiment_id, APPROVER)
    promotion.decide(promotion_id, experiment_id, APPROVER, compared["comparison"], 0)
    promotion.promote(promotion_id)

    status, record = _call(invoke, kit, "GET", f"/promotions/{promotion_id}")
    assert status == 200 and record["allow"] is True
    assert record["policy"]["version"] == "promotion/1"
    assert record["now"] == {"allow": True, "reasons": record["reasons"], "same_answer": True,
                             "same_policy": True}  # fmt: skip
    assert _call(invoke, kit, "GET", f"/promotions/{promotion_id}", principal=STRANGER)[0] == 404

    status, production = _call(invoke, kit, "GET", "/production")
    assert status == 200
    assert production["current"]["version"] == 2
    assert [r["kind"] for r in production["history"]] == ["promote", "initial"]

    status, error = _call(invoke, kit, "POST", "/production/rollback", {}, VIEWER)
    assert status == 403 and "production:rollback" in error["message"]
    status, back = _call(invoke, kit, "POST", "/production/rollback", {"reason": "noisy"})
    assert status == 200 and back["version"] == 3 and back["config"]["id"] == "default"
    status, error = _call(invoke, kit, "POST", "/production/rollback", {"reason": "x" * 1001})
    assert status == 422


def test_only_an_evaluated_experiment_is_promoted(
    starter: InProcessStateMachineStarter, invoke: Any, kit: Any
) -> None:
    from coderev.experiments import ConfigurationSpec, ExperimentPlan, Population

    experiments = bootstrap.experiments()
    experiments.create_configuration(APPROVER, "default", ConfigurationSpec())
    experiments.create_configuration(APPROVER, "strict", ConfigurationSpec(
        severity_policy={"min_severity": "high"}))  # fmt: skip
    draft = experiments.create(APPROVER, name="draft", baseline="default", candidate="strict",
                               plan=ExperimentPlan("precision"),
                               population=Population(corpus="precision"))  # fmt: skip
    status, error = _call(invoke, kit, "POST", "/promotions", {"experiment_id": draft.id})
    assert status == 409 and "draft" in error["message"]
    assert starter.started == []


def test_the_openapi_document_lists_the_routes(embedded: Path, invoke: Any, kit: Any) -> None:
    response = invoke("promotion", kit.sample("promotion_openapi.json"))
    assert response["statusCode"] == 200
    paths = set(json.loads(response["body"])["paths"])
    assert paths == {"/promotions", "/promotions/{promotion_id}", "/production",
                     "/production/rollback"}  # fmt: skip
