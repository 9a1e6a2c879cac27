"""`coderev serve` killed with SIGKILL at each step of an analysis leaves nothing behind: within
seconds no process of its group remains (forkserver, pool workers, resource tracker, ruff),
and the next start-up removes every temp dir it left (ruff's copy of the code).

The archive is big enough for the worker pool (IN_PROCESS_BELOW) and slow enough that each
step lasts a moment; a first, unkilled run measures when each step starts, from the
execution's history, and each kill then lands in the middle of one step.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import tarfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from tests.functional.conftest import Server, start_server
from tests.functional.test_process_hygiene import _members_of_group

STEPS = ("Index", "AnalyzeShard", "Architecture", "Review", "Finalize")


def _archive(files: int = 300) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for i in range(files):
            functions = "".join(
                f"def f{i}_{j}(x, y):\n    if x:\n        return eval(y) + {j}\n"
                f"    return [k for k in range(x) if k % 3]\n\n" for j in range(30))  # fmt: skip
            data = f"import pkg.m{(i + 1) % files}\n{functions}".encode()
            info = tarfile.TarInfo(f"proj/pkg/m{i}.py")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _step_starts(data_dir: Path) -> dict[str, datetime]:
    with sqlite3.connect(f"file:{data_dir / 'executions.db'}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT timestamp, details FROM history_events "
                          "WHERE type = 'TaskStateEntered' ORDER BY id").fetchall()  # fmt: skip
    starts: dict[str, datetime] = {}
    for stamp, details in rows:
        starts.setdefault(json.loads(details)["name"], datetime.fromisoformat(stamp))
    return starts


def _scratch_dirs(temp: Path) -> list[str]:
    return sorted(str(p.relative_to(temp)) for p in temp.glob("coderev-*/*"))


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.stop()


def test_kill_9_at_each_step_leaves_no_process_and_no_temp_dir(tmp_path: Path,
                                                               servers: list[Server]) -> None:
    temp = tmp_path / "temp"  # TMPDIR: coderev's temp dirs land here, where the test can look
    temp.mkdir()
    archive = _archive()

    def serve(data_dir: Path) -> Server:
        server = start_server(data_dir, new_session=True, TMPDIR=str(temp))
        servers.append(server)
        return server

    calibration = serve(tmp_path / "calibration")
    uploaded = datetime.now().astimezone()
    assert calibration.analyse(archive)["status"] == "SUCCEEDED"
    calibration.stop()
    starts = _step_starts(tmp_path / "calibration")
    offsets = [(starts[step] - uploaded).total_seconds() for step in STEPS]
    ends = [*offsets[1:], offsets[-1] + 0.4]

    outcomes: dict[str, tuple[int, float]] = {}
    for step, start, end in zip(STEPS, offsets, ends, strict=True):
        data_dir = tmp_path / step
        server = serve(data_dir)
        server.upload(archive)
        time.sleep(max(0.0, (start + end) / 2 - 0.1))
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(10)
        deadline = time.monotonic() + 5
        while (left := _members_of_group(server.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        outcomes[step] = (len(left), 5 - (deadline - time.monotonic()))
        assert left == [], f"killed in {step}: {left}"
    # The next start-up removes what the killed servers left in the temp folder.
    left_behind = _scratch_dirs(temp)
    restarted = serve(tmp_path / "Index")
    assert _scratch_dirs(temp) == []
    restarted.stop()
    assert _members_of_group(restarted.process.pid) == []
    print("kill -9 per step (orphans, seconds until none):", outcomes,
          "temp dirs left before restart:", left_behind)
