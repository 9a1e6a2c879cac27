"""Every state machine template.yaml ships, through both engines, with its tasks swapped for
recorded results: the happy path, and a step that fails (caught → MarkFailed → Failed)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from tests.differential.engines import Engines, run_ours

from coderev.runtime.states import Interpreter
from coderev.runtime.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TASK_ONLY = ("Resource", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds", "ResultSelector")

# What each step returned in a recorded run on samples/shop (shapes of coderev.pipeline.steps).
RECORDED: dict[str, Any] = {
    "Index": {"analysis_id": "a-1", "source": "shop.tar.gz", "files": 17, "python_files": 17,
              "skipped": 2, "shards": [{"analysis_id": "a-1", "shard": 0},
                                       {"analysis_id": "a-1", "shard": 1}]},
    "AnalyzeShard": {"analysis_id": "a-1", "shard": 0, "files": 9, "findings": 8},
    "Ruff": {"analysis_id": "a-1", "files": 17, "findings": 9},
    "Architecture": {"analysis_id": "a-1", "modules": 17, "cycles": 1, "violations": 2},
    "Review": {"analysis_id": "a-1", "findings": 14, "comments": 11, "chunks": []},
    "ReviewChunk": {"analysis_id": "a-1", "chunk": 0, "status": "reviewed",
                    "model": "anthropic:claude-sonnet-4-0", "comments": 2},
    "MergeReview": {"analysis_id": "a-1", "findings": 14, "comments": 13,
                    "ai": {"chunks": 2, "failed": 0}},
    "Finalize": {"analysis_id": "a-1", "status": "SUCCEEDED",
                 "report_keys": {"json": "reports/a-1/report.json"}},
    "MarkFailed": {"analysis_id": "a-1", "status": "FAILED"},
}  # fmt: skip


def shipped() -> list[tuple[str, dict[str, Any]]]:
    template = load_template(ROOT / "template.yaml")
    return [(spec.logical_id, spec.load_definition()) for spec in template.state_machines.values()]


# Review's result when it planned an AI review: the ReviewChunks Map's items.
AI_REVIEW = RECORDED["Review"] | {
    "chunks": [{"analysis_id": "a-1", "chunk": 0}, {"analysis_id": "a-1", "chunk": 1}]
}


def swap_tasks(
    states: dict[str, Any], failing: str | None = None, recorded: dict[str, Any] = RECORDED
) -> None:
    """Tasks become Passes returning RECORDED; `failing` instead reads a missing DynamoDB
    table, a real task error in both engines, so its Retry/Catch run as shipped."""
    for name, state in states.items():
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                swap_tasks(state[key]["States"], failing, recorded)
        for branch in state.get("Branches", []):
            swap_tasks(branch["States"], failing, recorded)
        if state["Type"] != "Task":
            continue
        if name == failing:
            state["Resource"] = "arn:aws:states:::dynamodb:getItem"
            state["Parameters"] = {
                "TableName": "no-such-table",
                "Key": {"pk": {"S.$": "$.analysis_id"}},
            }
            continue
        for key in TASK_ONLY:
            state.pop(key, None)
        state["Type"] = "Pass"
        state["Result"] = recorded[name]


def prune(machine: dict[str, Any]) -> None:
    """Drop the states only a removed Catch led to (a Pass has no Catch), in `machine` and
    its Maps and branches."""
    states = machine["States"]
    seen, todo = set(), [machine["StartAt"]]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        state = states[name]
        todo += [state[k] for k in ("Next", "Default") if k in state]
        todo += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
    for name in set(states) - seen:
        del states[name]
    for state in states.values():
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                prune(state[key])
        for branch in state.get("Branches", []):
            prune(branch)


def analysis() -> list[tuple[str, dict[str, Any]]]:
    return [(name, definition) for name, definition in shipped()
            if name == "AnalysisStateMachine"]  # fmt: skip


def test_the_template_ships_the_analysis_and_promotion_machines() -> None:
    # the promotion machine's paths: tests/differential/test_promotion_machine.py
    assert [name for name, _ in shipped()] == ["AnalysisStateMachine", "PromotionStateMachine"]


@pytest.mark.parametrize("failing", [None, "Index", "Ruff", "Review", "Finalize"])
@pytest.mark.parametrize(
    ("machine", "definition"), analysis(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_shipped_machine_agrees_with_moto(
    engines: Engines, interpreter: Interpreter, machine: str, definition: dict[str, Any],
    failing: str | None,
) -> None:  # fmt: skip
    swapped = copy.deepcopy(definition)
    swap_tasks(swapped["States"], failing)
    prune(swapped)
    value = {"analysis_id": "a-1", "baseline_key": None}
    name = f"shipped-{machine}-{failing or 'ok'}"
    ours = run_ours(swapped, value, machine, name, interpreter)
    moto = engines.moto.run(swapped, value, machine, name)
    assert ours.normalized() == moto.normalized()
    if failing is None:
        assert ours.status == "SUCCEEDED"
        assert ours.output["finalize"]["status"] == "SUCCEEDED"
        assert len(ours.output["analyzed"]["shards"]) == 2
        assert ours.output["analyzed"]["ruff"] == RECORDED["Ruff"]
    else:
        assert ours.status == "FAILED"
        assert ours.error == "DynamoDB.ResourceNotFoundException"
        assert f"TaskStateEntered:{failing}" in ours.entered
        assert (
            "TaskStateEntered:MarkFailed" in ours.entered
            or "PassStateEntered:MarkFailed" in ours.entered
        )


@pytest.mark.parametrize("failing", [None, "ReviewChunk", "MergeReview"])
@pytest.mark.parametrize(
    ("machine", "definition"), analysis(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_an_ai_review_through_the_map_agrees_with_moto(
    engines: Engines, interpreter: Interpreter, machine: str, definition: dict[str, Any],
    failing: str | None,
) -> None:  # fmt: skip
    """Review plans two chunks: the Map reviews them and MergeReview runs; a ReviewChunk that
    fails is caught (its error passed on for MergeReview to record) and the analysis goes
    on; a failing MergeReview fails the analysis."""
    swapped = copy.deepcopy(definition)
    swap_tasks(swapped["States"], failing, RECORDED | {"Review": AI_REVIEW})
    prune(swapped)
    value = {"analysis_id": "a-1", "baseline_key": None}
    name = f"shipped-ai-{machine}-{failing or 'ok'}"
    ours = run_ours(swapped, value, machine, name, interpreter)
    moto = engines.moto.run(swapped, value, machine, name)
    assert ours.normalized() == moto.normalized()
    if failing == "MergeReview":
        assert ours.status == "FAILED" and ours.error == "DynamoDB.ResourceNotFoundException"
        return
    assert ours.status == "SUCCEEDED"
    reviewed = ours.output["reviewed"]
    if failing is None:
        assert reviewed == [RECORDED["ReviewChunk"]] * 2
    else:  # each item is its chunk with the caught error, for MergeReview to record
        assert [(item["chunk"], item["error"]["Error"]) for item in reviewed] == [
            (0, "DynamoDB.ResourceNotFoundException"),
            (1, "DynamoDB.ResourceNotFoundException"),
        ]
    assert ours.output["merged"] == RECORDED["MergeReview"]
    assert ours.output["finalize"]["status"] == "SUCCEEDED"
