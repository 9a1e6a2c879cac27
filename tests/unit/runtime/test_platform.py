"""The assembled platform: Task states on template functions (plain ARN and lambda:invoke),
Lambda errors as States errors for Retry/Catch, the local StateMachineStarter, and a whole
upload -> notification -> handler -> execution chain with a graceful stop."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.conftest import write_app

from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
from coderev.runtime.platform.assembly import (
    LAMBDA_INVOKE,
    LambdaTaskInvoker,
    Platform,
    PlatformBackends,
    UnknownStateMachineError,
)
from coderev.runtime.platform.execution_store import SqliteExecutionStore
from coderev.runtime.states import ExecutionStatus, TaskContext, TaskFailedError
from coderev.runtime.template import Template, load_template

HANDLERS = {
    "double": """
        def lambda_handler(event, context):
            return {"value": event["value"] * 2}
    """,
    "flaky": """
        import pathlib

        class TransientError(Exception):
            pass

        class PermanentError(Exception):
            pass

        def lambda_handler(event, context):
            counter = pathlib.Path(event["counter"])
            seen = int(counter.read_text()) if counter.exists() else 0
            counter.write_text(str(seen + 1))
            if event.get("permanent"):
                raise PermanentError("no way")
            if seen < event["fail_times"]:
                raise TransientError(f"attempt {seen + 1}")
            return {"attempts": seen + 1}
    """,
    "slow": """
        import time

        def lambda_handler(event, context):
            time.sleep(event.get("seconds", 0.5))
            return {"slept": True}
    """,
    "starter": """
        import os
        from urllib.parse import unquote_plus

        from coderev import bootstrap

        def lambda_handler(event, context):
            key = unquote_plus(event["Records"][0]["s3"]["object"]["key"])
            name = key.rsplit("/", 1)[-1].replace(".", "-")
            arn = bootstrap.state_machine_starter().start(
                os.environ["MACHINE"], name, {"value": len(key), "seconds": 0.3})
            return {"execution": arn}
    """,
}

MACHINE = {
    "StartAt": "Double",
    "States": {
        "Double": {"Type": "Task", "Resource": "${DoubleArn}", "Next": "Slow"},
        "Slow": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                 "Parameters": {"FunctionName": "${SlowArn}", "Payload": {"seconds": 0.3}},
                 "ResultSelector": {"slept.$": "$.Payload.slept", "code.$": "$.StatusCode"},
                 "ResultPath": "$.slow", "End": True},
    },
}  # fmt: skip

TEMPLATE = """
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
Resources:
  DoubleFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/double, Handler: app.lambda_handler}
  FlakyFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/flaky, Handler: app.lambda_handler}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/slow, Handler: app.lambda_handler}
  StarterFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/starter
      Handler: app.lambda_handler
      Environment:
        Variables:
          MACHINE: !Ref WorkMachine
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
            Filter: {S3Key: {Rules: [{Name: prefix, Value: uploads/}]}}
  Uploads:
    Type: AWS::S3::Bucket
  WorkMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
      DefinitionSubstitutions:
        DoubleArn: !GetAtt DoubleFunction.Arn
        SlowArn: !GetAtt SlowFunction.Arn
"""


@pytest.fixture
def template(tmp_path: Path) -> Template:
    files = {"machine.asl.json": json.dumps(MACHINE)}
    return load_template(write_app(tmp_path, TEMPLATE, HANDLERS, files))


SLEEPS: list[float] = []


def record_sleep(seconds: float) -> None:
    SLEEPS.append(seconds)


@pytest.fixture
def platform(template: Template, tmp_path: Path) -> Iterator[Platform]:
    store = NotifyingObjectStore(LocalObjectStore(tmp_path / "objects"), bucket="coderev")
    backends = PlatformBackends(
        object_store=store, execution_store=SqliteExecutionStore(tmp_path / "executions.db")
    )
    built = Platform(template, backends, port=0, sync_interval=0.05, sleeper=record_sleep)
    yield built
    built.stop(timeout=10)


def context() -> TaskContext:
    return TaskContext("arn:aws:states:us-east-1:1:execution:m:e", "State", 0, None)


def run(platform: Platform, states: dict[str, Any], data: Any) -> Any:
    from coderev.runtime.states import StateMachine

    machine = StateMachine.from_definition({"StartAt": next(iter(states)), "States": states})
    return platform.interpreter.start(machine, data)


def arn(template: Template, logical_id: str) -> str:
    return template.functions[logical_id].arn


def test_a_plain_arn_returns_the_payload_and_lambda_invoke_the_invoke_response(
    platform: Platform, template: Template
) -> None:
    tasks = LambdaTaskInvoker(platform.invoker)
    assert tasks.invoke(arn(template, "DoubleFunction"), {"value": 4}, context()) == {"value": 8}

    response = tasks.invoke(
        LAMBDA_INVOKE, {"FunctionName": "DoubleFunction", "Payload": {"value": 5}}, context()
    )
    assert response["Payload"] == {"value": 10}
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"


def test_a_handler_exception_is_a_task_error_named_by_its_type(
    platform: Platform, template: Template, tmp_path: Path
) -> None:
    tasks = LambdaTaskInvoker(platform.invoker)
    event = {"counter": str(tmp_path / "c"), "permanent": True}
    with pytest.raises(TaskFailedError) as raised:
        tasks.invoke(arn(template, "FlakyFunction"), event, context())
    assert raised.value.error == "PermanentError"
    cause = json.loads(raised.value.cause)
    assert cause["errorMessage"] == "no way" and cause["errorType"] == "PermanentError"

    with pytest.raises(TaskFailedError) as missing:
        tasks.invoke(LAMBDA_INVOKE, {"FunctionName": "NoSuchFunction"}, context())
    assert missing.value.error == "Lambda.ResourceNotFoundException"
    with pytest.raises(TaskFailedError):
        tasks.invoke("arn:aws:states:::sqs:sendMessage", {}, context())


def test_retry_and_catch_match_the_handler_error_type(
    platform: Platform, template: Template, tmp_path: Path
) -> None:
    flaky = arn(template, "FlakyFunction")
    retry = [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    retrying = {"Type": "Task", "Resource": flaky, "End": True, "Retry": retry}
    SLEEPS.clear()
    done = run(platform, {"Flaky": retrying}, {"counter": str(tmp_path / "a"), "fail_times": 2})
    assert done.status is ExecutionStatus.SUCCEEDED
    assert done.output == {"attempts": 3}
    assert SLEEPS == [1.0, 2.0]

    caught = {
        "Flaky": {"Type": "Task", "Resource": flaky, "Next": "Handled", "Retry": retry, "Catch": [
            {"ErrorEquals": ["PermanentError"], "ResultPath": "$.error", "Next": "Handled"}]},
        "Handled": {"Type": "Pass", "End": True},
    }  # fmt: skip
    failed = run(platform, caught, {"counter": str(tmp_path / "b"), "permanent": True,
                                    "fail_times": 0})  # fmt: skip
    assert failed.status is ExecutionStatus.SUCCEEDED
    assert failed.output["error"]["Error"] == "PermanentError"
    assert json.loads(failed.output["error"]["Cause"])["errorMessage"] == "no way"
    assert (tmp_path / "b").read_text() == "1"  # not retried: only TransientError is


def test_the_starter_runs_in_the_background_and_is_idempotent_per_name(
    platform: Platform, template: Template
) -> None:
    machine_arn = template.state_machines["WorkMachine"].arn
    first = platform.starter.start(machine_arn, "run-1", {"value": 3})
    assert platform.starter.start("WorkMachine", "run-1", {"value": 3}) == first
    assert platform.interpreter.describe(first).status is ExecutionStatus.RUNNING
    with pytest.raises(Exception, match="ExecutionAlreadyExists"):
        platform.starter.start(machine_arn, "run-1", {"value": 4})
    with pytest.raises(UnknownStateMachineError):
        platform.starter.start("Nope", "run-2", {})
    assert platform.starter.wait(10)
    done = platform.interpreter.describe(first)
    assert done.status is ExecutionStatus.SUCCEEDED
    assert done.output == {"value": 6, "slow": {"slept": True, "code": 200}}


def test_an_upload_starts_an_execution_and_stop_waits_for_it(
    platform: Platform, tmp_path: Path
) -> None:
    platform.start()
    with urllib.request.urlopen(f"{platform.url}/health", timeout=5) as response:
        assert response.status == 200
    store = platform.backends.object_store
    assert store is not None
    store.put("uploads/a.zip", b"archive")
    store.put("other/b.zip", b"not an upload")

    deadline = time.monotonic() + 10
    while not platform.starter.running() and time.monotonic() < deadline:
        time.sleep(0.02)
    running = platform.starter.running()
    assert [e.name for e in running] == ["a-zip"]

    assert platform.stop(timeout=10) is True
    assert platform.starter.running() == []
    seen = SqliteExecutionStore(tmp_path / "executions.db").get(running[0].execution_arn)
    assert seen.status is ExecutionStatus.SUCCEEDED
    assert seen.output["value"] == len("uploads/a.zip") * 2
    entered = [e.details["name"] for e in seen.history if e.type.endswith("StateEntered")]
    assert entered == ["Double", "Slow"]
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{platform.url}/health", timeout=2)


def test_describe_lists_triggers_and_state_machines(platform: Platform) -> None:
    served = platform.describe()
    assert served["triggers"] == ["S3 Upload -> StarterFunction"]
    assert len(served["state_machines"]) == 1 and "WorkMachine" in served["state_machines"][0]


def test_serve_refuses_a_missing_or_unrunnable_template(tmp_path: Path) -> None:
    from coderev.runtime.platform.serve import ServeError, read_template

    with pytest.raises(ServeError, match="no template at"):
        read_template(tmp_path / "absent.yaml")
    (tmp_path / "node.yaml").write_text(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {Runtime: nodejs20.x, Handler: app.handler, CodeUri: .}\n"
    )
    with pytest.raises(ServeError, match=r"cannot be served locally.*nodejs20\.x"):
        read_template(tmp_path / "node.yaml")


def test_the_notified_bucket_is_the_one_the_s3_events_name(template: Template) -> None:
    from coderev.runtime.platform.serve import bucket_name

    assert bucket_name(template, "fallback") == template.buckets["Uploads"].name


def _listening_ports() -> set[int]:
    import psutil

    return {c.laddr.port for c in psutil.Process().net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN}  # fmt: skip


def test_a_platform_started_without_http_binds_no_port(platform: Platform) -> None:
    before = _listening_ports()
    platform.start(http=False)  # what a CLI review does: it uploads through the store
    assert _listening_ports() == before
    assert platform.stop(timeout=10) is True


def test_a_port_in_use_stops_the_start_before_anything_runs(template: Template,
                                                            tmp_path: Path) -> None:  # fmt: skip
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        store = NotifyingObjectStore(LocalObjectStore(tmp_path / "objects"), bucket="coderev")
        backends = PlatformBackends(
            object_store=store, execution_store=SqliteExecutionStore(tmp_path / "executions.db")
        )
        built = Platform(template, backends, port=taken.getsockname()[1])
        with pytest.raises(OSError):
            built.start()
        assert "coderev-scheduler" not in {t.name for t in threading.enumerate()}
        assert built.stop(timeout=5) is True


def test_a_cli_review_never_imports_the_http_gateway(tmp_path: Path) -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from coderev.cli import app\n"
        "sys.argv = ['coderev', 'review', sys.argv[1], '--out', sys.argv[2], '-q']\n"
        "try:\n"
        "    app(prog_name='coderev')  # not main(): it ends the process at once\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('coderev.runtime.gateway.api' in sys.modules)\n"
    )
    sample = Path(__file__).resolve().parents[3] / "samples" / "shop"
    run = subprocess.run([sys.executable, "-c", probe, str(sample), str(tmp_path / "o")],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert (tmp_path / "o" / "report.json").is_file(), run.stderr
    assert run.stdout.strip().splitlines()[-1] == "False"


def test_what_a_review_preloads_during_the_map_exists() -> None:
    import importlib.util
    import json

    from coderev.runtime.platform.serve import AFTER_THE_MAP, MAP_STATE

    missing = [name for name in AFTER_THE_MAP if importlib.util.find_spec(name) is None]
    assert missing == []
    definition = json.loads(
        (Path(__file__).resolve().parents[3] / "state_machines" / "analysis.asl.json").read_text()
    )

    def states(machine: dict) -> set[str]:
        found = set(machine["States"])
        for state in machine["States"].values():
            for inner in (state.get("ItemProcessor"), state.get("Iterator"),
                          *state.get("Branches", ())):  # fmt: skip
                if inner:
                    found |= states(inner)
        return found

    assert MAP_STATE in states(definition)  # the preload starts when the Map's shards do
