"""`coderev serve` on the real template.yaml, in its own process, used over HTTP as a client
would: upload, poll, fetch the report (the direct engine's, bar the times), the executions
it ran as `coderev executions` shows them, failures recorded with their cause, SIGTERM."""

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
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import ROOT, SAMPLE, coderev, embedded_environ

VOLATILE = ("generated_at", "timings")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sample_archive(config: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(SAMPLE, arcname="shop")
        if config is not None:
            data = config.encode()
            info = tarfile.TarInfo("shop/.coderev.toml")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method,
                                         headers={"Content-Type": "application/gzip"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        status, data = self.request(method, path, body)
        return status, json.loads(data)

    def analyse(self, archive: bytes, timeout: float = 120) -> dict[str, Any]:
        status, accepted = self.json("POST", "/analyses", archive)
        assert status == 202, accepted
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            _, record = self.json("GET", f"/analyses/{accepted['id']}")
            if record["status"] not in ("QUEUED", "RUNNING"):
                return dict(record)
            time.sleep(0.1)
        raise AssertionError(f"analysis {accepted['id']} did not end")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "coderev.cli", *args], capture_output=True,
                              text=True, env=self.env, timeout=60, check=False)  # fmt: skip


def start_server(data_dir: Path, *extra: str) -> Server:
    port = free_port()
    env = embedded_environ(CODEREV_DATA_DIR=str(data_dir), COLUMNS="200")
    for name in ("S3_ENDPOINT", "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "coderev.cli", "serve", "--port", str(port), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", env)
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60):
        process.kill()
        raise AssertionError("coderev serve did not get ready:\n" + "\n".join(server.lines))
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("serve") / "data")
    yield running
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
        running.process.wait(60)


@pytest.fixture(scope="module")
def succeeded(server: Server) -> dict[str, Any]:
    return server.analyse(sample_archive())


def without_volatile(report: dict[str, Any]) -> dict[str, Any]:
    """The report bar its times (without --fail-on both paths record `gate: null`)."""
    return {key: value for key, value in report.items() if key not in VOLATILE}


def test_it_announces_what_it_serves(server: Server) -> None:
    text = "\n".join(server.lines)
    assert "POST /analyses -> AnalysesFunction" in text
    assert "S3 Upload -> IngestFunction" in text
    assert "AnalysisStateMachine" in text
    assert "HousekeepingFunction.Hourly" in text


def test_health_and_an_unknown_route(server: Server) -> None:
    assert server.request("GET", "/health")[0] == 200
    assert server.request("GET", "/no/such/route")[0] == 404


def test_an_upload_is_analysed_like_the_direct_engine(
    server: Server, succeeded: dict[str, Any], tmp_path: Path
) -> None:
    assert succeeded["status"] == "SUCCEEDED", succeeded
    status, report = server.json("GET", f"/analyses/{succeeded['id']}/report/json")
    assert status == 200

    archive = tmp_path / Path(report["source"]).name
    archive.write_bytes(sample_archive())
    direct = coderev("review", archive, "--format", "json", "-q", "--out", tmp_path / "direct",
                     out=tmp_path / "direct")  # fmt: skip
    assert direct.code == 0, direct.stderr
    assert without_volatile(report) == without_volatile(direct.report())
    assert succeeded["counts"]["findings"] == len(report["findings"]) > 0


def test_executions_list_and_show_the_run(server: Server, succeeded: dict[str, Any]) -> None:
    listed = server.cli("executions", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if succeeded["id"] in line)
    assert "SUCCEEDED" in line and "AnalysisStateMachine" in line
    limited = server.cli("executions", "list", "--limit", "1", "--status", "succeeded")
    assert len(limited.stdout.splitlines()) == 1 and "SUCCEEDED" in limited.stdout
    assert server.cli("executions", "list", "--status", "DONE").returncode == 2

    shown = server.cli("executions", "show", succeeded["id"])
    assert shown.returncode == 0, shown.stderr
    assert "status: SUCCEEDED" in shown.stdout
    entered = [line.split()[-1] for line in shown.stdout.splitlines()
               if "StateEntered" in line]  # fmt: skip
    assert entered[:2] == ["Index", "Analyze"]  # then its two branches, interleaved
    assert sorted(entered[2:5]) == ["AnalyzeShard", "AnalyzeShards", "Ruff"]
    assert entered[5:] == ["Architecture", "Review", "Finalize", "Succeeded"]
    assert shown.stdout.rstrip().endswith("ExecutionSucceeded")
    assert server.cli("executions", "show", "no-such-execution").returncode == 2


def test_a_hostile_archive_ends_failed_with_its_cause(server: Server) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:  # a zip bomb
        archive.writestr("shop/bomb.py", b"#" * (16 << 20))
    record = server.analyse(buffer.getvalue())
    assert record["status"] == "FAILED"
    assert record["error"] == "ArchiveLimitError"
    assert "compression ratio" in record["cause"]
    # Ingest refuses it before any execution starts: nothing to show under executions.
    assert record["id"] not in server.cli("executions", "list").stdout


def test_a_failing_step_fails_the_execution_with_its_cause(server: Server) -> None:
    record = server.analyse(sample_archive(config="[tool.coderev]\nno_such_key = 1\n"))
    assert record["status"] == "FAILED"
    assert record["error"] == "ConfigError"
    assert "no_such_key" in record["cause"]

    shown = server.cli("executions", "show", record["id"])
    assert "status: FAILED" in shown.stdout
    assert "error: ConfigError" in shown.stdout
    assert "no_such_key" in shown.stdout
    entered = [line.split()[-1] for line in shown.stdout.splitlines() if "StateEntered" in line]
    assert entered == ["Index", "MarkFailed", "Failed"]


def test_sigterm_finishes_the_running_analysis_and_exits_0(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    status, accepted = server.json("POST", "/analyses", sample_archive())
    assert status == 202
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(120) == 0
    assert server.lines[-1] == "coderev serve: stopped"
    shown = server.cli("executions", "show", accepted["id"])
    assert "status: SUCCEEDED" in shown.stdout, shown.stdout + shown.stderr


def test_a_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coderev.cli", "serve", "--template", str(tmp_path / "nope.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
        env=embedded_environ(CODEREV_DATA_DIR=str(tmp_path)),
    )  # fmt: skip
    assert result.returncode == 2
    assert "no template at" in result.stderr
