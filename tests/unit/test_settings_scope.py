"""Settings per environment: `get_settings()` follows the environment it is called in, and the
local runtime binds each invocation's, so two functions of one process declared with
different variables each see their own Settings, alternately, concurrently, after a timeout,
and with the platform's own backend variables kept whatever the template says."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from tests.unit.conftest import write_app

from coderev.config import Settings, get_settings, settings_for, settings_scope
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.platform.assembly import HOST_VARIABLES
from coderev.runtime.template import load_template

READER = """
    import json, os, time

    from coderev.config import get_settings

    def lambda_handler(event, context):
        before = get_settings()
        try:
            time.sleep(event.get("pause", 0))
        finally:  # also the clean-up of a handler the invoker stopped at its timeout
            after = get_settings()
            seen = {
                "bucket": after.s3_bucket, "hours": after.upload_hours,
                "reviewer": after.reviewer, "data_dir": str(after.data_dir),
                "stable": before is after, "env_bucket": os.environ.get("S3_BUCKET"),
            }
            if event.get("report"):
                with open(event["report"], "w") as out:
                    json.dump(seen, out)
        return seen
"""

TEMPLATE = """
Globals:
  Function:
    Runtime: python3.12
    Handler: app.lambda_handler
    Timeout: 10
    Environment:
      Variables:
        CODEREV_DATA_DIR: /tmp/coderev-sandbox
        DATABASE_URL: ""
Resources:
  AlphaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/alpha
      Environment:
        Variables: {S3_BUCKET: alpha-bucket, CODEREV_UPLOAD_HOURS: "1", CODEREV_REVIEWER: a}
  BetaFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/beta
      Environment:
        Variables: {S3_BUCKET: beta-bucket, CODEREV_UPLOAD_HOURS: "2", CODEREV_REVIEWER: b}
  ShortFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/short
      Timeout: 1
      Environment:
        Variables: {S3_BUCKET: short-bucket}
"""

EXPECTED = {
    "AlphaFunction": ("alpha-bucket", 1.0, "a"),
    "BetaFunction": ("beta-bucket", 2.0, "b"),
}


@pytest.fixture
def process_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """This process's own configuration: what `coderev serve` was started with."""
    for name in HOST_VARIABLES | {"S3_BUCKET", "CODEREV_UPLOAD_HOURS", "CODEREV_REVIEWER"}:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "host-data"))
    monkeypatch.setenv("S3_BUCKET", "process-bucket")
    return tmp_path / "host-data"


def invoker_for(tmp_path: Path, **options: Any) -> LocalInvoker:
    handlers = dict.fromkeys(("alpha", "beta", "short"), READER)
    return LocalInvoker(load_template(write_app(tmp_path, TEMPLATE, handlers)), **options)


@pytest.fixture
def invoker(tmp_path: Path, process_env: Path) -> Iterator[LocalInvoker]:
    with invoker_for(tmp_path, host_variables=HOST_VARIABLES) as local:
        yield local


def seen(result: Any) -> tuple[str, float, str]:
    assert result.ok, result.payload
    return result.payload["bucket"], result.payload["hours"], result.payload["reviewer"]


# --- get_settings outside any invocation ------------------------------------------------------


def test_get_settings_follows_the_environment_and_builds_each_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("S3_BUCKET", "one")
    first = get_settings()
    assert first.s3_bucket == "one" and get_settings() is first
    monkeypatch.setenv("S3_BUCKET", "two")
    assert get_settings().s3_bucket == "two"
    monkeypatch.setenv("S3_BUCKET", "one")
    assert get_settings() is first
    get_settings.cache_clear()
    assert get_settings() is not first and get_settings() == first


def test_settings_of_a_mapping_equal_pydantic_settings_reading_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    values = {"DATABASE_URL": "", "CODEREV_JOBS": "3", "S3_SECRET_KEY": "s",
              "CODEREV_UPLOAD_HOURS": "0.5", "XDG_DATA_HOME": str(tmp_path)}  # fmt: skip
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CODEREV_DATA_DIR", raising=False)
    monkeypatch.setenv("codeRev_reviewer", "mixed-case")  # matched case-insensitively
    assert settings_for(os.environ) == Settings()
    assert get_settings().data_dir == tmp_path / "coderev"
    assert get_settings().reviewer == "mixed-case"
    # a mapping is read alone: what it lacks is the default, not this process's value
    assert settings_for({"CODEREV_JOBS": "2"}).jobs == 2
    assert settings_for({"CODEREV_JOBS": "2"}).database_url is None
    assert settings_for({"HOME": str(tmp_path)}).data_dir == tmp_path / ".local/share/coderev"


def test_a_scope_binds_settings_to_its_thread_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_BUCKET", "outside")
    barrier = threading.Barrier(2)
    found: dict[str, str] = {}

    def worker(name: str) -> None:
        with settings_scope({"S3_BUCKET": name}):
            barrier.wait(5)
            found[name] = get_settings().s3_bucket
            barrier.wait(5)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("left", "right")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert found == {"left": "left", "right": "right"}
    assert get_settings().s3_bucket == "outside"
    with settings_scope(Settings(S3_BUCKET="given")):
        assert get_settings().s3_bucket == "given"
        with settings_scope({"S3_BUCKET": "inner"}):
            assert get_settings().s3_bucket == "inner"
        assert get_settings().s3_bucket == "given"


def test_an_invalid_value_fails_whoever_reads_settings_not_the_scope() -> None:
    with settings_scope({"CODEREV_JOBS": "many"}), pytest.raises(ValueError, match="CODEREV_JOBS"):
        get_settings()


# --- each invocation sees its function's Settings ---------------------------------------------


def test_functions_invoked_alternately_each_see_their_own_settings(
    invoker: LocalInvoker, process_env: Path
) -> None:
    for _ in range(3):
        for function, expected in EXPECTED.items():
            result = invoker.invoke(function, {})
            assert seen(result) == expected
            assert result.payload["env_bucket"] == expected[0]
            assert result.payload["stable"]
            # the platform's backends stay the process's: not the template's sandbox dir
            assert result.payload["data_dir"] == str(process_env)
    assert get_settings().s3_bucket == "process-bucket"


def test_functions_invoked_concurrently_each_see_their_own_settings(
    invoker: LocalInvoker,
) -> None:
    calls = [("AlphaFunction", "BetaFunction")[i % 2] for i in range(24)]
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda f: (f, invoker.invoke(f, {"pause": 0.02})), calls))
    for function, result in results:
        assert seen(result) == EXPECTED[function]
        assert result.payload["stable"]  # no other function's turn changed it mid-handler
    assert get_settings().s3_bucket == "process-bucket"


def test_a_handler_stopped_at_its_timeout_cleans_up_with_its_own_settings(
    invoker: LocalInvoker, tmp_path: Path
) -> None:
    report = tmp_path / "late.json"
    late = invoker.invoke("ShortFunction", {"pause": 1.6, "report": str(report)})
    assert late.payload["errorType"] == "Sandbox.Timedout"
    # another function takes the turn (and os.environ) while the timed-out one is still
    # sleeping; when it wakes it is stopped, and its clean-up reads its own settings
    assert seen(invoker.invoke("BetaFunction", {"pause": 0.9})) == EXPECTED["BetaFunction"]
    deadline = time.monotonic() + 5
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(report.read_text())["bucket"] == "short-bucket"


def test_without_host_variables_the_template_values_stand(
    tmp_path: Path, process_env: Path
) -> None:
    with invoker_for(tmp_path) as local:
        result = local.invoke("AlphaFunction", {})
    assert seen(result) == EXPECTED["AlphaFunction"]
    assert result.payload["data_dir"] == "/tmp/coderev-sandbox"
    assert get_settings().data_dir == process_env
