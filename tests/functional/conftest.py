"""Functional tier: the `coderev` command end to end, on embedded defaults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
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
