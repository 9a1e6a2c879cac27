"""The shipped promotion machine (state_machines/promotion.asl.json) through both engines, its
tasks swapped for recorded results: allowed -> Promote -> Notify; refused -> Quarantine ->
Notify; a step that fails after its retries is caught -> NotifyFailure -> Failed with the
step's error; a failing Notify leaves the (already written) outcome standing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.differential.engines import Engines, run_ours
from tests.differential.test_shipped_machines import TASK_ONLY, prune, shipped

from coderev.runtime.states import Interpreter

POLICY = {"path": "coderev/promotion/decision", "version": "promotion/1", "bundle_hash": "ab" * 32}
RECORDED: dict[str, Any] = {
    "Compare": {"expected_version": 1, "comparison": {"n_pairs": 60, "metrics": {}}},
    "PolicyDecision": {"allow": True, "reasons": ["min_samples_reached"], "policy": POLICY},
    "Promote": {"status": "promoted", "version": 2, "previous_version": 1,
                "config": {"id": "strict", "version": 2}},
    "Quarantine": {"status": "quarantined", "reasons": ["requester_not_approver"],
                   "config": {"id": "strict", "version": 2}},
    "Notify": {"promotion_id": "p-1", "notified": "completed"},
    "NotifyFailure": {"promotion_id": "p-1", "notified": "failed"},
}  # fmt: skip
REFUSED = {"allow": False, "reasons": ["requester_not_approver"], "policy": POLICY}
INPUT = {"promotion_id": "p-1", "experiment_id": "exp-1",
         "requester": {"subject": "u-1", "tenant": "default", "roles": "approver"}}  # fmt: skip


def promotion() -> dict[str, Any]:
    [definition] = [d for name, d in shipped() if name == "PromotionStateMachine"]
    return definition


def swap(definition: dict[str, Any], failing: str | None, recorded: dict[str, Any]) -> None:
    """Tasks become Passes returning `recorded`; `failing` reads a missing DynamoDB table
    instead, a real task error in both engines, so its Retry/Catch run as shipped."""
    for name, state in definition["States"].items():
        if state["Type"] != "Task":
            continue
        if name == failing:
            state["Resource"] = "arn:aws:states:::dynamodb:getItem"
            state["Parameters"] = {"TableName": "no-such-table",
                                   "Key": {"pk": {"S.$": "$.promotion_id"}}}  # fmt: skip
            continue
        for key in TASK_ONLY:
            state.pop(key, None)
        state.pop("Parameters", None)
        state["Type"] = "Pass"
        state["Result"] = recorded[name]


def both(engines: Engines, interpreter: Interpreter, failing: str | None,
         recorded: dict[str, Any], name: str) -> Any:  # fmt: skip
    swapped = copy.deepcopy(promotion())
    swap(swapped, failing, recorded)
    prune(swapped)
    ours = run_ours(swapped, INPUT, "PromotionStateMachine", name, interpreter)
    moto = engines.moto.run(swapped, INPUT, "PromotionStateMachine", name)
    assert ours.normalized() == moto.normalized()
    assert ours.entered == moto.entered
    return ours


@pytest.mark.parametrize(("decision", "path"), [
    (RECORDED["PolicyDecision"], "Promote"), (REFUSED, "Quarantine")])  # fmt: skip
def test_the_decision_chooses_promote_or_quarantine(
    engines: Engines, interpreter: Interpreter, decision: dict[str, Any], path: str
) -> None:
    ours = both(engines, interpreter, None, RECORDED | {"PolicyDecision": decision},
                f"promotion-{path}")  # fmt: skip
    assert ours.status == "SUCCEEDED"
    assert [e.split(":")[1] for e in ours.entered] == [
        "Compare", "PolicyDecision", "Allowed", path, "Notify", "Done"]  # fmt: skip
    assert ours.output["outcome"] == RECORDED[path]
    assert ours.output["decision"] == decision
    assert ours.output["notified"] == RECORDED["Notify"]


@pytest.mark.parametrize("failing", ["Compare", "PolicyDecision", "Promote"])
def test_a_failing_step_is_caught_notified_and_fails_the_execution(
    engines: Engines, interpreter: Interpreter, failing: str
) -> None:
    ours = both(engines, interpreter, failing, RECORDED, f"promotion-fail-{failing}")
    assert ours.status == "FAILED"
    assert ours.error == "DynamoDB.ResourceNotFoundException"
    assert ours.entered[-2:] == ("TaskStateEntered:NotifyFailure", "FailStateEntered:Failed") or (
        ours.entered[-2:] == ("PassStateEntered:NotifyFailure", "FailStateEntered:Failed")
    )


def test_a_failing_quarantine_fails_the_execution(engines: Engines,
                                                  interpreter: Interpreter) -> None:  # fmt: skip
    ours = both(engines, interpreter, "Quarantine", RECORDED | {"PolicyDecision": REFUSED},
                "promotion-fail-Quarantine")  # fmt: skip
    assert ours.status == "FAILED" and ours.error == "DynamoDB.ResourceNotFoundException"


def test_a_failing_notify_leaves_the_promotion_standing(
    engines: Engines, interpreter: Interpreter
) -> None:
    ours = both(engines, interpreter, "Notify", RECORDED, "promotion-fail-Notify")
    assert ours.status == "SUCCEEDED"
    assert ours.output["outcome"] == RECORDED["Promote"]
    assert ours.output["notify_error"]["Error"] == "DynamoDB.ResourceNotFoundException"
