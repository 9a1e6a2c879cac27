"""`coderev serve` with zero services: the analyses' domain events reach audit_sink through the
embedded bus (its SelfManagedKafka triggers in template.yaml) and end in the audit trail,
one entry per event: coderev.analysis.completed for a review that succeeded,
coderev.analysis.failed for one that failed. `coderev review --via platform` (the same
platform, stopped as soon as the analysis ended) records its completed event too."""

from __future__ import annotations

import io
import json
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import ROOT, SAMPLE, coderev, embedded_environ

from coderev.analyses.sql_repository import database_url
from coderev.audit.model import AuditEntry
from coderev.audit.sql_repository import SqlAuditRepository


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def archive(config: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(SAMPLE, arcname="shop")
        if config is not None:
            data = config.encode()
            info = tarfile.TarInfo("shop/.coderev.toml")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Served:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        env = embedded_environ(CODEREV_DATA_DIR=str(data_dir), COLUMNS="200")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "coderev.cli", "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                if line.strip() == "ready":
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(60):
            self.process.kill()
            raise AssertionError("coderev serve did not get ready:\n" + "\n".join(self.lines))

    def analyse(self, body: bytes, timeout: float = 120) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}"
        request = urllib.request.Request(f"{url}/analyses", data=body, method="POST",
                                         headers={"Content-Type": "application/gzip"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=30) as response:
            accepted = json.loads(response.read())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{url}/analyses/{accepted['id']}", timeout=30) as reply:
                record: dict[str, Any] = json.loads(reply.read())
            if record["status"] not in ("QUEUED", "RUNNING"):
                return record
            time.sleep(0.1)
        raise AssertionError(f"analysis {accepted['id']} did not end")

    def audited(self, event_id: str, timeout: float = 30) -> list[AuditEntry]:
        """The audit trail's entries with `event_id`, once there is one (or the timeout)."""
        repository = SqlAuditRepository.from_url(database_url(None, self.data_dir))
        deadline = time.monotonic() + timeout
        while True:
            found = [entry for entry in repository.list(limit=1000) if entry.event_id == event_id]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(60)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    running = Served(tmp_path_factory.mktemp("audit") / "data")
    yield running
    running.stop()


def test_serve_runs_the_audit_sinks_kafka_triggers(served: Served) -> None:
    text = "\n".join(served.lines)
    assert "kafka:AuditSinkFunction.AnalysisCompleted" in text
    assert "kafka:AuditSinkFunction.AnalysisFailed" in text


def test_a_completed_analysis_leaves_its_event_in_the_audit_trail(served: Served) -> None:
    record = served.analyse(archive())
    assert record["status"] == "SUCCEEDED", record
    [entry] = served.audited(f"{record['id']}:completed")
    assert entry.type == "coderev.analysis.completed"
    assert entry.source == "/coderev/analysis"
    assert entry.analysis_id == entry.subject == record["id"]
    assert entry.event["data"]["status"] == "SUCCEEDED"
    assert set(entry.event["data"]["report_keys"]) >= {"json", "sarif"}
    assert entry.recorded_at is not None


def test_a_failed_analysis_leaves_its_failure_event_in_the_audit_trail(served: Served) -> None:
    record = served.analyse(archive(config="[tool.coderev]\nno_such_key = 1\n"))
    assert record["status"] == "FAILED", record
    [entry] = served.audited(f"{record['id']}:failed")
    assert entry.type == "coderev.analysis.failed"
    assert entry.event["data"]["error"] == "ConfigError"


def test_a_review_via_the_platform_is_audited_before_the_platform_stops(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = coderev("review", SAMPLE, "--via", "platform", "--out", out, "-q", out=out)
    assert run.code == 0, run.stderr
    data_dir = tmp_path / "data" / "coderev"  # the functional runs' XDG_DATA_HOME/coderev
    repository = SqlAuditRepository.from_url(database_url(None, data_dir))
    [entry] = repository.list(type="coderev.analysis.completed")
    assert entry.event["data"]["status"] == "SUCCEEDED"
    assert entry.analysis_id and entry.event_id == f"{entry.analysis_id}:completed"


def test_serve_stops_cleanly_with_the_consumers_running(served: Served) -> None:
    assert served.stop() == 0
