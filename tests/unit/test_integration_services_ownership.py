"""The test run stops the servers it started and leaves the ones it found running."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import load_services


def _server(state: Path, name: str, owner: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    record = {"pid": process.pid, "port": 1, "startup_seconds": 0.1, "owner": owner}
    (state / f"{name}.json").write_text(json.dumps(record))
    return process


def test_only_the_servers_a_session_started_are_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = load_services()
    monkeypatch.setattr(services, "STATE", tmp_path)
    mine = _server(tmp_path, "moto", owner="pytest-1")
    found = _server(tmp_path, "kafka", owner="")  # started by `.ci/services start`
    try:
        assert services.stop_owned("pytest-1") == ["moto"]
        assert mine.wait(timeout=10) is not None
        assert not (tmp_path / "moto.json").exists()
        assert found.poll() is None and (tmp_path / "kafka.json").exists()
        assert services.stop_owned("") == []
    finally:
        for process in (mine, found):
            process.kill()
            process.wait()
