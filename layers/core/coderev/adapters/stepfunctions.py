"""The StateMachineStarter on AWS Step Functions (boto3), imported and built lazily.

`start` calls StartExecution with the analysis id as the execution name. For a STANDARD state
machine, StartExecution with a name and input that already ran returns the same execution,
so a retried ingest starts nothing new; the same name with other input is
`ExecutionAlreadyExists`, reported as `StateMachineStartError` — unless the inputs differ only
in their trace context (`trace`): then the running execution is the answer, as it would be for
the same input.

`describe` calls DescribeExecution (the role needs `states:DescribeExecution`): status,
error and cause; None for `ExecutionDoesNotExist`.

Endpoint: argument > `STEPFUNCTIONS_ENDPOINT` (LocalStack, moto_server) > AWS itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from coderev.adapters.embedded.state_machines import (
    StateMachineDescribeError,
    StateMachineStartError,
    without_trace,
)
from coderev.ports import ExecutionDescription
from coderev.telemetry.tracing import TRACE_KEY

__all__ = ["StepFunctionsStarter"]


class StepFunctionsStarter:
    """StartExecution through boto3; a client may be injected (tests, shared sessions)."""

    def __init__(
        self, *, endpoint_url: str | None = None, region: str | None = None, client: Any = None
    ) -> None:
        env = os.environ.get
        self.endpoint_url = endpoint_url or env("STEPFUNCTIONS_ENDPOINT") or None
        self.region = region or env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "us-east-1"
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            kwargs: dict[str, Any] = {"region_name": self.region}
            if self.endpoint_url:
                kwargs["endpoint_url"] = self.endpoint_url
            self._client = boto3.client("stepfunctions", **kwargs)
        return self._client

    def start(self, state_machine: str, name: str, input: Mapping[str, Any]) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.client.start_execution(
                stateMachineArn=state_machine, name=name, input=json.dumps(dict(input))
            )
        except ClientError as exc:
            same = self._same_execution(exc, state_machine, name, input)
            if same is not None:
                return same
            raise StateMachineStartError(f"cannot start {name} on {state_machine}: {exc}") from exc
        except BotoCoreError as exc:
            raise StateMachineStartError(f"cannot start {name} on {state_machine}: {exc}") from exc
        return str(response["executionArn"])

    def _same_execution(
        self, exc: Exception, state_machine: str, name: str, input: Mapping[str, Any]
    ) -> str | None:
        """The existing execution's ARN when it was started with this input but for the trace
        context; None otherwise (or when it cannot be read)."""
        from botocore.exceptions import BotoCoreError, ClientError

        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code != "ExecutionAlreadyExists" or TRACE_KEY not in input:
            return None
        arn = state_machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
        try:
            found = self.client.describe_execution(executionArn=arn)
            earlier = json.loads(found.get("input") or "{}")
        except (ClientError, BotoCoreError, ValueError):
            return None
        if isinstance(earlier, dict) and without_trace(earlier) == without_trace(input):
            return str(found["executionArn"])
        return None

    def describe(self, execution_arn: str) -> ExecutionDescription | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            found = self.client.describe_execution(executionArn=execution_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise StateMachineDescribeError(f"cannot describe {execution_arn}: {exc}") from exc
        except BotoCoreError as exc:
            raise StateMachineDescribeError(f"cannot describe {execution_arn}: {exc}") from exc
        return ExecutionDescription(
            str(found["status"]), found.get("error") or None, found.get("cause") or None
        )
