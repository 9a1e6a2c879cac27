"""The two engines under comparison: moto's Step Functions interpreter and ours.

moto runs Task states against its own in-memory services: DynamoDB (`arn:aws:states:::
dynamodb:*` and `aws-sdk:dynamodb:*`) and Lambda without Docker (the "simple" backend echoes
the payload). Our side gets a TaskInvoker doing the same operations on the same moto
backends, so both engines see identical task results and identical task errors.
"""

from __future__ import annotations

import io
import json
import re
import time
import types
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from coderev.runtime.states import Interpreter, StateMachine, TaskContext, TaskFailedError

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/coderev-sfn"
TABLE = "coderev-items"
ECHO = "echo"
_REQUEST_ID = re.compile(r"Request ID: [A-Za-z0-9-]+")
_SPACING = re.compile(r"([:,]) (?=[\[{\"0-9tfn-])")


@dataclass(frozen=True)
class Outcome:
    status: str
    output: Any
    error: str | None
    cause: str | None
    # The "<Type>StateEntered:<name>" events in history order; compared separately.
    entered: tuple[str, ...] = field(default=(), compare=False)

    def normalized(self) -> Outcome:
        """Mask what legitimately differs between runs: request ids and JSON spacing."""
        cause = _SPACING.sub(r"\1", _REQUEST_ID.sub("Request ID: <id>", self.cause or ""))
        output = json.loads(_REQUEST_ID.sub("Request ID: <id>", json.dumps(self.output)))
        return Outcome(self.status, output, self.error or None, cause or None, self.entered)


class MotoServicesInvoker:
    """Runs Task resources the way moto's interpreter does, on moto's in-memory services."""

    def __init__(self) -> None:
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        if resource.startswith("arn:aws:lambda:"):
            return payload  # the Docker-less Lambda backend echoes its payload
        if resource == "arn:aws:states:::lambda:invoke":
            return {"StatusCode": 200, "Payload": payload.get("Payload")}
        service_action = resource.split(":::", 1)[1]
        service, action = service_action.removeprefix("aws-sdk:").split(":")
        if service != "dynamodb":
            raise TaskFailedError("States.TaskFailed", f"unsupported resource {resource}")
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        try:
            response = getattr(self.dynamodb, method)(**payload)
        except ClientError as exc:
            sdk = resource.startswith("arn:aws:states:::aws-sdk:")
            raise _dynamodb_failure(exc, sdk) from None
        response.pop("ResponseMetadata", None)
        return response


def _dynamodb_failure(exc: ClientError, sdk: bool) -> TaskFailedError:
    code = exc.response["Error"]["Code"]
    message = exc.response["Error"]["Message"]
    status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
    request = exc.response["ResponseMetadata"]["RequestId"]
    if sdk:
        return TaskFailedError(
            f"DynamoDb.{code}",
            f"{message} (Service: DynamoDb, Status Code: {status}, Request ID: {request})",
        )
    return TaskFailedError(
        f"DynamoDB.{code}",
        f"{message} (Service: AmazonDynamoDBv2; Status Code: {status}; Error Code: {code}; "
        f"Request ID: {request}; Proxy: null)",
    )


class MotoEngine:
    """moto's interpreter behind the boto3 Step Functions API, inside one mock_aws context."""

    def __init__(self) -> None:
        self.client = boto3.client("stepfunctions", region_name=REGION)
        self.counter = 0

    def run(self, definition: dict[str, Any], input: Any, machine: str, name: str) -> Outcome:
        self.counter += 1
        arn = self.client.create_state_machine(
            name=machine, definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
        execution = self.client.start_execution(
            stateMachineArn=arn, name=name, input=json.dumps(input)
        )["executionArn"]
        deadline = time.monotonic() + 30
        while True:
            described = self.client.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.002)
        events = self.client.get_execution_history(executionArn=execution)["events"]
        output = None
        if described["status"] == "SUCCEEDED":
            # DescribeExecution in moto returns a string output without its JSON quotes;
            # the ExecutionSucceeded event carries the JSON text, as AWS does.
            (output,) = [e["executionSucceededEventDetails"]["output"] for e in events
                         if e["type"] == "ExecutionSucceeded"]  # fmt: skip
        self.client.delete_state_machine(stateMachineArn=arn)
        entered = tuple(
            f"{e['type']}:{e['stateEnteredEventDetails']['name']}"
            for e in events
            if e["type"].endswith("StateEntered")
        )
        return Outcome(
            described["status"],
            json.loads(output) if output is not None else None,
            described.get("error"),
            described.get("cause"),
            entered,
        )


def run_ours(definition: dict[str, Any], input: Any, machine: str, name: str,
             interpreter: Interpreter) -> Outcome:  # fmt: skip
    execution = interpreter.start(
        StateMachine.from_definition(definition), input, name=name, machine_name=machine
    )
    entered = tuple(
        f"{e.type}:{e.details['name']}"
        for e in execution.history
        if e.type.endswith("StateEntered")
    )
    return Outcome(
        execution.status.value, execution.output, execution.error, execution.cause, entered
    )


def _echo_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


@contextmanager
def _instant_retries() -> Iterator[None]:
    """moto's retrier sleeps with time.sleep; the corpus needs IntervalSeconds >= 1 (AWS
    rejects 0), so the reference engine's back-off is instant while the suite runs."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    original = retrier_decl.time  # type: ignore[attr-defined]
    retrier_decl.time = types.SimpleNamespace(sleep=lambda _seconds: None)  # type: ignore[attr-defined,assignment]
    try:
        yield
    finally:
        retrier_decl.time = original  # type: ignore[attr-defined]


@dataclass
class Engines:
    moto: MotoEngine
    invoker: MotoServicesInvoker


def moto_world() -> Iterator[Engines]:
    """Start mock_aws with the Step Functions interpreter and the services the corpus uses."""
    config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
    with mock_aws(config=config), _instant_retries():  # type: ignore[call-overload]
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="coderev-sfn", AssumeRolePolicyDocument="{}")
        boto3.client("lambda", region_name=REGION).create_function(
            FunctionName=ECHO, Runtime="python3.12", Role=role["Role"]["Arn"],
            Handler="app.handler", Code={"ZipFile": _echo_zip()},
        )  # fmt: skip
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Engines(MotoEngine(), MotoServicesInvoker())
