"""The whole platform path on real servers: upload to S3 (moto_server over HTTP) → bucket
notification → SQS → ingest → state machine → reports in S3, with events on Kafka (Tansu);
the report equals the direct engine's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "shop"


def _coderev(*args: str | Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", *map(str, args)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::DeprecationWarning:kafka")
def test_review_via_platform_on_s3_and_kafka(
    s3_endpoint: str, kafka_bootstrap_servers: str, fresh_name: Callable[[str], str],
    tmp_path: Path,
) -> None:  # fmt: skip
    bucket = fresh_name("coderev")
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env = {
        **base, "S3_ENDPOINT": s3_endpoint, "S3_ACCESS_KEY": "test", "S3_SECRET_KEY": "test",
        "S3_BUCKET": bucket, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap_servers,
        "CODEREV_DATA_DIR": str(tmp_path / "data"), "AWS_DEFAULT_REGION": "us-east-1",
    }  # fmt: skip
    # --keep: the review runs on the configured backends (S3, Kafka), not a private platform
    platform = _coderev("review", SAMPLE, "--via", "platform", "--keep", "--out", tmp_path / "p",
                        env=env)  # fmt: skip
    assert platform.returncode == 0, platform.stderr
    direct = _coderev("review", SAMPLE, "--via", "direct", "--out", tmp_path / "d", "-q", env=env)
    assert direct.returncode == 0, direct.stderr

    def report(out: str) -> dict[str, object]:
        from tests.report_compare import comparable

        return comparable(json.loads((tmp_path / out / "report.json").read_text()))

    assert report("p") == report("d")
    s3 = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id="test", aws_secret_access_key="test",
        region_name="us-east-1",
    )  # fmt: skip
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert any(k.startswith("uploads/") for k in keys)
    assert {k.rsplit("/", 1)[-1] for k in keys if k.startswith("reports/")} == {
        "report.json", "report.sarif", "report.md", "report.html",
    }  # fmt: skip
    analysis_id = next(k for k in keys if k.startswith("reports/")).split("/")[1]
    assert analysis_id in _completed_events(kafka_bootstrap_servers, fresh_name("group"))

    # the request travels as S3 user metadata: baseline (uploaded beside), gate, exclusions
    ask = ("--baseline", tmp_path / "d" / "report.json", "--fail-on", "new-high,high",
           "--exclude", "src/shop/legacy")  # fmt: skip
    asked = _coderev("review", SAMPLE, "--keep", "--out", tmp_path / "p2", "-q", *ask, env=env)
    again = _coderev("review", SAMPLE, "--via", "direct", "--out", tmp_path / "d2", "-q", *ask,
                     env=env)  # fmt: skip
    assert (asked.returncode, again.returncode) == (1, 1), asked.stderr  # high: fails
    assert report("p2") == report("d2")
    gate = report("p2")["summary"]
    assert isinstance(gate, dict) and gate["gate"]["spec"] == "new-high,high"
    assert gate["existing"] == gate["findings"]  # all known from the baseline
    uploads = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]
               if o["Key"].startswith("uploads/")]  # fmt: skip
    metadata = [s3.head_object(Bucket=bucket, Key=k)["Metadata"] for k in uploads]
    assert any("coderev-request" in m and "new-high" in m["coderev-request"] for m in metadata)


def _completed_events(bootstrap: str, group: str) -> set[str]:
    """Analysis ids of the CloudEvents on coderev.analysis.completed."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        "coderev.analysis.completed", bootstrap_servers=bootstrap, group_id=group,
        auto_offset_reset="earliest", consumer_timeout_ms=8000, max_poll_interval_ms=6000,
        session_timeout_ms=6000, heartbeat_interval_ms=1000,
    )  # fmt: skip
    try:
        events = [json.loads(message.value) for message in consumer]
    finally:
        consumer.close()
    assert all(e["specversion"] == "1.0" for e in events)
    return {e["data"]["analysis_id"] for e in events if e["type"] == "coderev.analysis.completed"}
