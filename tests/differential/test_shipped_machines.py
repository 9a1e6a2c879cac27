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
    "Review": {"analysis_id": "a-1", "findings": 14, "comments": 11},
    "Finalize": {"analysis_id": "a-1", "status": "SUCCEEDED",
                 "report_keys": {"json": "reports/a-1/report.json"}},
    "MarkFailed": {"analysis_id": "a-1", "status": "FAILED"},
}  # fmt: skip


def shipped() -> list[tuple[str, dict[str, Any]]]:
    template = load_template(ROOT / "template.yaml")
    return [(spec.logical_id, spec.load_definition()) for spec in template.state_machines.values()]


def swap_tasks(states: dict[str, Any], failing: str | None = None) -> None:
    """Tasks become Passes returning RECORDED; `failing` instead reads a missing DynamoDB
    table, a real task error in both engines, so its Retry/Catch run as shipped."""
    for name, state in states.items():
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                swap_tasks(state[key]["States"], failing)
        for branch in state.get("Branches", []):
            swap_tasks(branch["States"], failing)
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
        state["Result"] = RECORDED[name]


def test_the_template_ships_the_analysis_machine() -> None:
    assert [name for name, _ in shipped()] == ["AnalysisStateMachine"]


@pytest.mark.parametrize("failing", [None, "Index", "Ruff", "Review", "Finalize"])
@pytest.mark.parametrize(
    ("machine", "definition"), shipped(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_shipped_machine_agrees_with_moto(
    engines: Engines, interpreter: Interpreter, machine: str, definition: dict[str, Any],
    failing: str | None,
) -> None:  # fmt: skip
    swapped = copy.deepcopy(definition)
    swap_tasks(swapped["States"], failing)
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
