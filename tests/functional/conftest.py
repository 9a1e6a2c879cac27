"""Functional tier: the `coderev` command end to end, on embedded defaults; `coderev serve` in a
process of its own, used over HTTP and `coderev executions` as a client would (`start_server`)."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "shop"


# The functional tier checks the embedded defaults: a backend variable exported for the
# integration tier (e.g. by .ci/run) must not switch these runs onto real servers.
BACKEND_VARS = frozenset({
    "DATABASE_URL", "REDIS_URL", "NEO4J_URI", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY",
    "S3_BUCKET", "KAFKA_BOOTSTRAP_SERVERS", "OPA_URL", "STEPFUNCTIONS_ENDPOINT",
    # never a real model provider, nor a real master key
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
    "HUGGINGFACE_API_KEY", "CODEREV_HF_ENDPOINT_URL", "CODEREV_KMS_KEY_ID", "CODEREV_MASTER_KEY",
})  # fmt: skip


def embedded_environ(**extra: str) -> dict[str, str]:
    """This process's environment without backend variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in BACKEND_VARS}
    return {**env, **extra}


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    out: Path

    def report(self) -> dict[str, Any]:
        return json.loads((self.out / "report.json").read_text())


def coderev(*args: str | Path, out: Path, cwd: Path | None = None) -> Run:
    env = embedded_environ(COLUMNS="200", XDG_DATA_HOME=str(out.parent / "data"))
    proc = subprocess.run(
        [sys.executable, "-m", "coderev.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=300,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr, out)


@pytest.fixture
def cli() -> Callable[..., Run]:
    """Runs `coderev ARGS...` as a user would, in a fresh process."""
    return coderev


@pytest.fixture
def sample() -> Path:
    return SAMPLE


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "shop"
    shutil.copytree(SAMPLE, dest)
    return dest


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("sample") / "out"
    run = coderev("review", SAMPLE, "--out", out, out=out)
    assert run.code == 0, run.stderr
    return run


# --- coderev serve ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sample_archive(config: str | None = None) -> bytes:
    """samples/shop as tar.gz, with `config` as its .coderev.toml when given."""
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
    """A running `coderev serve` (`start_server`): its process, URL, environment, data dir and
    the lines it printed."""

    process: subprocess.Popen[str]
    url: str
    env: dict[str, str]
    data_dir: Path
    lines: list[str] = field(default_factory=list)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method,
                                         headers={"Content-Type": "application/gzip"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        status, data = self.request(method, path, body)
        return status, json.loads(data)

    def upload(self, archive: bytes) -> str:
        """POST the archive to /analyses: the id of the analysis accepted."""
        status, accepted = self.json("POST", "/analyses", archive)
        assert status == 202, accepted
        return str(accepted["id"])

    def record(self, analysis_id: str) -> dict[str, Any]:
        status, record = self.json("GET", f"/analyses/{analysis_id}")
        assert status == 200, record
        return dict(record)

    def wait_ended(self, analysis_id: str, timeout: float = 180) -> dict[str, Any]:
        """The analysis' record once it is neither QUEUED nor RUNNING."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            record = self.record(analysis_id)
            if record["status"] not in ("QUEUED", "RUNNING"):
                return record
            time.sleep(0.1)
        raise AssertionError(f"analysis {analysis_id} did not end")

    def analyse(self, archive: bytes) -> dict[str, Any]:
        """Upload the archive and wait for its analysis to end: its record."""
        return self.wait_ended(self.upload(archive))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`coderev ARGS...` with the server's environment (its data dir)."""
        return subprocess.run([sys.executable, "-m", "coderev.cli", *args], capture_output=True,
                              text=True, env=self.env, timeout=60, check=False)  # fmt: skip

    def stop(self) -> int:
        """SIGTERM unless it has exited already: its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(120)


def start_server(data_dir: Path, cwd: Path = ROOT, *, new_session: bool = False,
                 **environ: str) -> Server:
    """`coderev serve` on a free port with `data_dir` and embedded defaults, once it is ready;
    run from `cwd` (the checkout by default), with `environ` on top, in a session (and process
    group) of its own if `new_session`."""
    port = free_port()
    env = embedded_environ(CODEREV_DATA_DIR=str(data_dir), COLUMNS="200", **environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "coderev.cli", "serve", "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=new_session,
    )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", env, data_dir)
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
