"""StateMachineStarter adapters, in-process and on Step Functions (moto's in-memory Step
Functions; no network): StartExecution semantics, and `describe` (DescribeExecution) as
status, error and cause, None when the execution is unknown."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from coderev.adapters.embedded.state_machines import (
    InProcessStateMachineStarter,
    StateMachineDescribeError,
    StateMachineStartError,
)
from coderev.adapters.stepfunctions import StepFunctionsStarter
from coderev.ports import ExecutionDescription

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:analysis"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """moto's Step Functions client and a machine whose executions wait (RUNNING)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STEPFUNCTIONS_ENDPOINT", raising=False)
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600,
                                                              "End": True}}}  # fmt: skip
        client = boto3.client("stepfunctions")
        machine = client.create_state_machine(
            name="analysis", definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
        yield client, machine


# --- start ------------------------------------------------------------------------------------


def test_in_process_starts_are_idempotent_by_name_and_input() -> None:
    runs: list[tuple[str, str, Any]] = []
    starter = InProcessStateMachineStarter(lambda *args: runs.append(args))

    arn = starter.start(MACHINE, "a1", {"analysis_id": "a1"})
    again = starter.start(MACHINE, "a1", {"analysis_id": "a1"})

    assert arn == again == "arn:aws:states:us-east-1:123456789012:execution:analysis:a1"
    assert runs == [(arn, MACHINE, {"analysis_id": "a1"})]
    with pytest.raises(StateMachineStartError, match="ExecutionAlreadyExists"):
        starter.start(MACHINE, "a1", {"analysis_id": "other"})


def test_step_functions_starts_an_execution_named_after_the_analysis(aws: Any) -> None:
    client, machine = aws
    starter = StepFunctionsStarter(client=client)

    arn = starter.start(machine, "a1", {"analysis_id": "a1", "baseline_key": None})

    described = client.describe_execution(executionArn=arn)
    assert described["name"] == "a1"
    assert json.loads(described["input"]) == {"analysis_id": "a1", "baseline_key": None}


def test_step_functions_refusals_are_start_errors(aws: Any) -> None:
    _client, machine = aws
    starter = StepFunctionsStarter()  # its own client, built on first use

    with pytest.raises(StateMachineStartError, match="missing"):
        starter.start(machine.replace(":analysis", ":missing"), "a1", {"analysis_id": "a1"})


# --- describe ---------------------------------------------------------------------------------


def test_step_functions_describes_running_stopped_and_unknown_executions(aws: Any) -> None:
    client, machine = aws
    starter = StepFunctionsStarter(client=client)
    arn = starter.start(machine, "a1", {"analysis_id": "a1"})

    assert starter.describe(arn) == ExecutionDescription("RUNNING")
    client.stop_execution(executionArn=arn)
    stopped = starter.describe(arn)
    assert stopped is not None and stopped.status == "ABORTED" and stopped.closed
    assert starter.describe(arn.replace(":a1", ":nope")) is None


def test_a_failed_executions_error_and_cause_are_kept() -> None:
    class Client:  # moto keeps no error/cause: DescribeExecution's shape for a failure
        def describe_execution(self, executionArn: str) -> dict[str, Any]:
            return {"executionArn": executionArn, "status": "FAILED",
                    "error": "States.Runtime", "cause": "engine gone"}  # fmt: skip

    described = StepFunctionsStarter(client=Client()).describe("arn:x")
    assert described == ExecutionDescription("FAILED", "States.Runtime", "engine gone")


def test_a_step_functions_failure_other_than_not_found_is_a_describe_error(aws: Any) -> None:
    client, _machine = aws
    starter = StepFunctionsStarter(client=client)
    with pytest.raises(StateMachineDescribeError, match="cannot describe"):
        starter.describe("not-an-arn")


def test_the_in_process_starter_knows_its_starts_or_asks_its_describer() -> None:
    starter = InProcessStateMachineStarter()
    arn = starter.start(MACHINE, "a1", {"analysis_id": "a1"})
    assert starter.describe(arn) == ExecutionDescription("RUNNING")
    assert not ExecutionDescription("RUNNING").closed
    assert starter.describe(arn + "x") is None

    ended = ExecutionDescription("FAILED", "States.Runtime", "why")
    told = InProcessStateMachineStarter(describer=lambda a: ended if a == arn else None)
    assert told.describe(arn) == ended and told.describe("other") is None
