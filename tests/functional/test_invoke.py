"""`coderev invoke` runs one function like `sam local invoke` (every sample event in events/),
and `coderev generate-event` prints the events the platform itself would deliver."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    EventBridgeEvent,
    KafkaEvent,
    S3Event,
)
from tests.functional.conftest import ROOT, embedded_environ

EVENTS = sorted((ROOT / "events").glob("*.json"))
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file())


def _function_for(event: Path) -> str:
    """events/<folder>[_<what>].json belongs to functions/<folder>."""
    return max((f for f in FUNCTIONS if event.stem == f or event.stem.startswith(f + "_")), key=len)


def _coderev(
    *args: str, cwd: Path, data: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", *args], input=stdin, capture_output=True,
        text=True, cwd=cwd, env=embedded_environ(XDG_DATA_HOME=str(data)), timeout=300,
    )  # fmt: skip


# What each sample does on a fresh embedded platform: the step events name an analysis that
# does not exist there, so their handlers fail with a typed error, as on a fresh AWS account.
EXPECTED: dict[str, tuple[int, Any]] = {
    "auth_login": (0, {"statusCode": 401}),  # nobody is registered on a fresh platform
    "auth_openapi": (0, {"statusCode": 200}),
    "auth_refresh": (0, {"statusCode": 401}),
    "auth_register": (0, {"statusCode": 201}),
    "auth_whoami": (0, {"statusCode": 401}),
    "analyses_openapi": (0, {"statusCode": 200}),
    "analyses_presign": (0, {"statusCode": 201}),
    "analyses_report": (0, {"statusCode": 404}),
    "analyses_rerun": (0, {"statusCode": 404}),
    "analyses_status": (0, {"statusCode": 404}),
    "analyses_upload": (0, {"statusCode": 202}),
    "analysis_architecture": (1, {"errorType": "MissingWorkFileError"}),
    "analysis_failed": (1, {"errorType": "AnalysisNotFoundError"}),
    "analysis_finalize": (1, {"errorType": "AnalysisNotFoundError"}),
    "analysis_index": (1, {"errorType": "AnalysisNotFoundError"}),
    "analysis_review": (1, {"errorType": "MissingWorkFileError"}),
    "analysis_review_chunk": (1, {"errorType": "MissingWorkFileError"}),
    "analysis_review_merge": (1, {"errorType": "MissingWorkFileError"}),
    "analysis_ruff": (1, {"errorType": "MissingWorkFileError"}),
    "analysis_shard": (1, {"errorType": "MissingWorkFileError"}),
    "comparison": (0, {"primary": "precision", "n_pairs": 40}),
    "comparison_http": (0, {"statusCode": 200}),
    "audit_sink": (0, {"recorded": 1, "duplicates": 0}),
    # the sample's token has no valid signature: API Gateway's 401 (the authorizer raises)
    "authorizer": (1, {"errorType": "Unauthorized"}),
    "experiments_configuration": (0, {"statusCode": 201}),
    "experiments_list": (0, {"statusCode": 200}),
    "experiments_openapi": (0, {"statusCode": 200}),
    "housekeeping": (0, {"analyses_failed": 0}),
    "ingest": (0, {}),
    "projects_create": (0, {"statusCode": 201}),
    "projects_list": (0, {"statusCode": 200}),
    "provider_health": (0, {"probed": 0, "failing": []}),
    "providers_create": (0, {"statusCode": 201}),
    "providers_list": (0, {"statusCode": 200}),
    "quota_check": (0, {"allowed": True, "retry_after": None}),  # no limits configured
    "quota_check_http": (0, {"statusCode": 200}),
    # no provider configured: the rule holds, no candidate
    "model_router": (0, {"rule": "default@rules-v1", "candidates": []}),
    "model_router_preview": (0, {"statusCode": 200}),
    # no experiment and no decision on a fresh platform; Notify announces whatever it is given
    "promotion_start": (0, {"statusCode": 404}),
    "promotion_production": (0, {"statusCode": 200}),
    "promotion_openapi": (0, {"statusCode": 200}),
    "promotion_compare": (1, {"errorType": "ExperimentNotFoundError"}),
    "promotion_decide": (1, {"errorType": "ExperimentNotFoundError"}),
    "promotion_promote": (1, {"errorType": "DecisionNotFoundError"}),
    "promotion_quarantine": (1, {"errorType": "DecisionNotFoundError"}),
    "promotion_notify": (0, {"notified": "completed"}),
    "promotion_notify_failed": (0, {"notified": "failed"}),
}


def test_every_sample_event_has_an_expectation() -> None:
    assert sorted(EXPECTED) == [p.stem for p in EVENTS]


@pytest.mark.parametrize("event", EVENTS, ids=[p.stem for p in EVENTS])
def test_invoke_runs_each_sample_event_like_sam_local_invoke(event: Path, tmp_path: Path) -> None:
    run = _coderev("invoke", _function_for(event), "--event", str(event), cwd=tmp_path,
                   data=tmp_path / "data")  # fmt: skip
    code, expected = EXPECTED[event.stem]
    assert run.returncode == code, run.stderr
    payload = json.loads(run.stdout)  # stdout is the result alone: the logs are on stderr
    assert {k: payload[k] for k in expected} == expected
    assert "START RequestId: " in run.stderr and "\nREPORT RequestId: " in run.stderr
    assert "Init Duration: " in run.stderr  # one invocation: always a cold start
    if code == 1:
        assert set(payload) >= {"errorType", "errorMessage", "requestId", "stackTrace"}
        assert f"error: {payload['errorType']}: " in run.stderr


def test_invoke_reads_the_event_from_stdin_and_applies_sam_env_vars(tmp_path: Path) -> None:
    env_vars = tmp_path / "env.json"
    env_vars.write_text(json.dumps({"Parameters": {"POWERTOOLS_SERVICE_NAME": "from-env-vars",
                                                   "NOT_DECLARED": "x"}}))  # fmt: skip
    event = (ROOT / "events" / "audit_sink.json").read_text()
    run = _coderev("invoke", "AuditSinkFunction", "-e", "-", "-n", str(env_vars), cwd=tmp_path,
                   data=tmp_path / "data", stdin=event)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"recorded": 1, "duplicates": 0}
    assert '"service":"from-env-vars"' in run.stderr.replace(" ", "")
    assert "NOT_DECLARED is not declared by AuditSinkFunction; ignored" in run.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["invoke", "nowhere"], "no function 'nowhere' in template.yaml; its functions:"),
        (["invoke", "ingest", "--event", "missing.json"], "cannot read the event missing.json"),
        (["invoke", "ingest", "--template", "nope.yaml"], "no template at nope.yaml"),
    ],
)
def test_invoke_refuses_bad_input_with_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    run = _coderev(*args, cwd=tmp_path, data=tmp_path / "data")
    assert run.returncode == 2
    assert message in " ".join(run.stderr.split())


@pytest.mark.parametrize(
    ("args", "model", "check"),
    [
        (
            ["s3", "put", "--key", "uploads/a b.zip"],
            S3Event,
            lambda e: e.record.s3.get_object.key == "uploads/a+b.zip",
        ),
        (
            [
                "apigateway",
                "aws-proxy",
                "--method",
                "post",
                "--path",
                "/analyses",
                "--query",
                "x=1",
                "--header",
                "Content-Type:application/json",
                "--body",
                "{}",
            ],
            APIGatewayProxyEvent,
            lambda e: (
                (e.http_method, e.query_string_parameters, e.body) == ("POST", {"x": "1"}, "{}")
            ),
        ),
        (
            ["kafka", "self-managed", "--value", "v1", "--value", "v2"],
            KafkaEvent,
            lambda e: [r.decoded_value for r in e.records] == [b"v1", b"v2"],
        ),
        (["kafka", "msk"], KafkaEvent, lambda e: e.event_source == "aws:kafka"),
        (["schedule"], EventBridgeEvent, lambda e: e.detail_type == "Scheduled Event"),
    ],
)
def test_generate_event_prints_what_the_handlers_parse(tmp_path: Path, args: list[str],
                                                       model: Any, check: Any) -> None:  # fmt: skip
    run = _coderev("generate-event", *args, cwd=tmp_path, data=tmp_path / "data")
    assert run.returncode == 0, run.stderr
    assert check(model(json.loads(run.stdout)))


def test_a_generated_s3_event_invokes_ingest(tmp_path: Path) -> None:
    event = _coderev("generate-event", "s3", "put", "--bucket", "coderev-uploads-123456789012",
                     cwd=tmp_path, data=tmp_path / "data").stdout  # fmt: skip
    run = _coderev("invoke", "IngestFunction", "-e", "-", cwd=tmp_path, data=tmp_path / "data",
                   stdin=event)  # fmt: skip
    assert run.returncode == 0, run.stderr
    (outcome,) = json.loads(run.stdout)["outcomes"]
    assert outcome["status"] == "FAILED"  # no such upload in the fresh store: refused, recorded
