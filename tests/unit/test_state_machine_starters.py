"""StateMachineStarter adapters: StartExecution semantics, in-process and on Step Functions
(moto's in-memory Step Functions; no network)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

from coderev.adapters.embedded.state_machines import (
    InProcessStateMachineStarter,
    StateMachineStartError,
)
from coderev.adapters.stepfunctions import StepFunctionsStarter

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:analysis"


def test_in_process_starts_are_idempotent_by_name_and_input() -> None:
    runs: list[tuple[str, str, Any]] = []
    starter = InProcessStateMachineStarter(lambda *args: runs.append(args))

    arn = starter.start(MACHINE, "a1", {"analysis_id": "a1"})
    again = starter.start(MACHINE, "a1", {"analysis_id": "a1"})

    assert arn == again == "arn:aws:states:us-east-1:123456789012:execution:analysis:a1"
    assert runs == [(arn, MACHINE, {"analysis_id": "a1"})]
    with pytest.raises(StateMachineStartError, match="ExecutionAlreadyExists"):
        starter.start(MACHINE, "a1", {"analysis_id": "other"})


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("STEPFUNCTIONS_ENDPOINT", raising=False)
    with mock_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
        client = boto3.client("stepfunctions")
        machine = client.create_state_machine(
            name="analysis", definition=json.dumps(definition), roleArn=role
        )["stateMachineArn"]
        yield client, machine


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
