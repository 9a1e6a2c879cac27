"""A `coderev serve` killed (SIGKILL) mid-analysis: the next one closes the execution it left
RUNNING (FAILED, with the explanation in its history) and records the analysis FAILED with
that cause; the same archive uploaded again is analysed. A live second `coderev serve` on the
same data dir leaves a running one's execution alone.

Both run the real template.yaml in their own processes, used over HTTP and `coderev
executions` as a user would; nothing in the product is slowed down or hooked for the test.
"""

from __future__ import annotations

import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.functional.conftest import Server, sample_archive, start_server

from coderev.runtime.platform.execution_store import SqliteExecutionStore
from coderev.runtime.states import ExecutionStatus


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def raw_status(data_dir: Path, name: str) -> str | None:
    """The stored status, read without the store (whose reads would close an orphan)."""
    import sqlite3

    with sqlite3.connect(f"file:{data_dir / 'executions.db'}?mode=ro", uri=True) as db:
        row = db.execute("SELECT status FROM executions WHERE name = ?", (name,)).fetchone()
    return None if row is None else str(row[0])


def running_execution(server: Server, analysis_id: str) -> bool:
    """The analysis' execution RUNNING, as `coderev executions list` reads it (its store, in
    this process: a CLI process takes longer to start than the sample takes to analyse)."""
    store = SqliteExecutionStore(server.data_dir / "executions.db")
    running = store.list(status=ExecutionStatus.RUNNING)
    return any(execution.name == analysis_id for execution in running)


def kill_mid_analysis(data_dir: Path, servers: list[Server]) -> tuple[str, int]:
    """Upload the sample and SIGKILL the server once its execution runs with the record
    RUNNING (the Index step moved it: ingest recorded the execution). The sample takes about
    half a second: should the analysis win the race, try again on a fresh server."""
    for _attempt in range(5):
        server = start_server(data_dir)
        servers.append(server)
        analysis_id = server.upload(sample_archive())
        while True:
            if (
                running_execution(server, analysis_id)
                and server.record(analysis_id)["status"] == "RUNNING"
            ):
                server.process.send_signal(signal.SIGKILL)
                server.process.wait(30)
                break
            if server.record(analysis_id)["status"] in ("SUCCEEDED", "FAILED"):
                break  # too late: it finished
            time.sleep(0.005)
        if server.process.poll() == -signal.SIGKILL and raw_status(data_dir, analysis_id) == (
            "RUNNING"
        ):
            return analysis_id, server.process.pid
        server.stop()
    raise AssertionError("could not kill coderev serve while an analysis ran")


def test_the_next_serve_closes_what_a_killed_one_left_running(
    tmp_path: Path, servers: list[Server]
) -> None:
    data_dir = tmp_path / "data"
    analysis_id, pid = kill_mid_analysis(data_dir, servers)

    server = start_server(data_dir)
    servers.append(server)

    cause = f"the coderev serve that ran it stopped (pid {pid} on host {socket.gethostname()})"
    shown = server.cli("executions", "show", analysis_id)
    assert shown.returncode == 0, shown.stderr
    assert "status: FAILED" in shown.stdout
    assert "error: States.Runtime" in shown.stdout
    assert f"cause: {cause}" in shown.stdout
    assert shown.stdout.rstrip().endswith("ExecutionFailed")
    listed = server.cli("executions", "list")
    assert any(analysis_id in line and "FAILED" in line for line in listed.stdout.splitlines())

    record = server.record(analysis_id)
    assert record["status"] == "FAILED", record
    assert record["error"] == "InternalError"  # the whole cause is for operators (above)
    assert f"POST /analyses/{analysis_id}/rerun" in record["cause"]

    again = server.wait_ended(server.upload(sample_archive()))
    assert again["status"] == "SUCCEEDED", again
    assert again["id"] != analysis_id


def test_a_live_second_serve_leaves_a_running_execution_alone(
    tmp_path: Path, servers: list[Server]
) -> None:
    """The first serve is paused (SIGSTOP) mid-analysis, so its execution stays RUNNING
    while a second serve starts on the same data dir and `coderev executions` reads it: a
    process that exists with the same start time is the owner, however long it is silent."""
    data_dir = tmp_path / "data"
    first = start_server(data_dir)
    servers.append(first)
    analysis_id = first.upload(sample_archive())
    while not running_execution(first, analysis_id):
        assert first.record(analysis_id)["status"] in ("QUEUED", "RUNNING"), "it ended first"
        time.sleep(0.005)
    first.process.send_signal(signal.SIGSTOP)
    try:
        second = start_server(data_dir)  # closes orphans and reconciles as it starts
        servers.append(second)
        listed = second.cli("executions", "list", "--status", "RUNNING")
        assert analysis_id in listed.stdout, listed.stdout + listed.stderr
        assert raw_status(data_dir, analysis_id) == "RUNNING"
        assert second.record(analysis_id)["status"] in ("QUEUED", "RUNNING")
    finally:
        first.process.send_signal(signal.SIGCONT)

    record = first.wait_ended(analysis_id)
    assert record["status"] == "SUCCEEDED", record
    assert "status: SUCCEEDED" in second.cli("executions", "show", analysis_id).stdout
