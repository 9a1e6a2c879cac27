"""StateMachineStarter.describe: DescribeExecution on Step Functions (moto), the in-process
starter (its starts, or a describer), each as status, error and cause; None when unknown."""

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
)
from coderev.adapters.stepfunctions import StepFunctionsStarter
from coderev.ports import ExecutionDescription

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:analysis"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
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
