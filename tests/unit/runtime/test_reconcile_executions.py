"""Executions whose runtime is gone: closed FAILED with the cause in their history, by any
process that reads the store; a live owner's never, whoever asks (fake pids, clock, lease;
then a real killed process and two real platforms on one store)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.concurrency import at_once
from tests.unit.conftest import write_app

from coderev.runtime.platform.assembly import Platform, PlatformBackends
from coderev.runtime.platform.execution_store import (
    ORPHAN_ERROR,
    ProcessProbe,
    RuntimeOwner,
    SqliteExecutionStore,
    probe_process,
)
from coderev.runtime.states import Execution, ExecutionStatus, InMemoryExecutionStore
from coderev.runtime.template import load_template

# the handlers' (and a starting platform's) records under tmp_path, never ~/.local
pytestmark = pytest.mark.usefixtures("embedded_data_dir")

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
HOST, SPACE = "builder", "boot-1/pid:[4026531836]"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Processes:
    """A fake process table: pid -> (alive, start time)."""

    def __init__(self) -> None:
        self.table: dict[int, ProcessProbe] = {}

    def __call__(self, pid: int) -> ProcessProbe:
        return self.table.get(pid, ProcessProbe(False))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def processes() -> Processes:
    return Processes()


@pytest.fixture
def open_store(
    tmp_path: Path, clock: Clock, processes: Processes
) -> Callable[..., SqliteExecutionStore]:
    def opened(pid: int, host: str = HOST, started: str | None = "100") -> SqliteExecutionStore:
        return SqliteExecutionStore(tmp_path / "executions.db", owner=RuntimeOwner(host, pid,
                                    started, SPACE), probe=processes, clock=clock)  # fmt: skip

    return opened


def begin(store: SqliteExecutionStore, name: str) -> Execution:
    """An execution in its first state, as a platform that then crashed left it."""
    execution = Execution(
        execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:Analysis:{name}",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:Analysis",
        name=name, input={"analysis_id": name}, start_date=T0,
    )  # fmt: skip
    store.add(execution)
    execution.record("ExecutionStarted", T0, {"input": execution.input})
    execution.record("TaskStateEntered", T0, {"name": "AnalyzeShard"})
    store.sync()
    return execution


def test_a_dead_owners_execution_is_closed_with_its_cause_in_the_history(
    open_store: Callable[..., SqliteExecutionStore], processes: Processes, clock: Clock
) -> None:
    crashed = open_store(pid=4242)
    running = begin(crashed, "a1")
    clock.now = T0 + timedelta(minutes=3)
    reader = open_store(pid=7)
    processes.table[7] = ProcessProbe(True, "700")

    listed = reader.list()

    assert [(e.name, e.status) for e in listed] == [("a1", ExecutionStatus.FAILED)]
    shown = reader.get(running.execution_arn)
    cause = f"the coderev serve that ran it stopped (pid 4242 on host {HOST})"
    assert (shown.status, shown.error, shown.cause) == (ExecutionStatus.FAILED, ORPHAN_ERROR,
                                                        cause)  # fmt: skip
    assert shown.stop_date == clock.now
    last = shown.history[-1]
    assert (last.type, last.details) == ("ExecutionFailed", {"error": ORPHAN_ERROR,
                                                             "cause": cause})  # fmt: skip
    assert [e.id for e in shown.history] == [1, 2, 3] and last.previous_event_id == 2
    assert reader.close_orphans() == []  # once


def test_a_live_owners_execution_is_never_closed_by_another_instance(
    open_store: Callable[..., SqliteExecutionStore], processes: Processes, clock: Clock
) -> None:
    processes.table[4242] = ProcessProbe(True, "100")
    first = open_store(pid=4242)
    running = begin(first, "a1")
    second = open_store(pid=5151)  # a second serve on the same data dir
    processes.table[5151] = ProcessProbe(True, "100")
    begin(second, "a2")
    clock.now = T0 + timedelta(days=2)  # however old: the process is there

    assert second.close_orphans() == [] and first.close_orphans() == []
    assert {e.status for e in second.list()} == {ExecutionStatus.RUNNING}
    assert second.get(running.execution_arn).status is ExecutionStatus.RUNNING


def test_a_reused_pid_or_a_zombie_is_not_the_owner(
    open_store: Callable[..., SqliteExecutionStore], processes: Processes
) -> None:
    begin(open_store(pid=4242, started="100"), "reused")
    begin(open_store(pid=4343, started="100"), "unverifiable")
    processes.table[4242] = ProcessProbe(True, "999")  # another process got the pid
    processes.table[4343] = ProcessProbe(True, None)  # alive, start time unreadable: lease

    closed = open_store(pid=1).close_orphans()

    assert [arn.rsplit(":", 1)[1] for arn in closed] == ["reused"]


def test_elsewhere_the_heartbeat_decides_and_sync_refreshes_it(
    open_store: Callable[..., SqliteExecutionStore], processes: Processes, clock: Clock
) -> None:
    container = open_store(pid=1, host="container")  # pid 1 there means nothing here
    processes.table[1] = ProcessProbe(True, "100")
    begin(container, "a1")
    host = open_store(pid=2)

    clock.now = T0 + timedelta(seconds=50)
    assert host.close_orphans() == []
    container.sync()  # more than a quarter of the lease since the last beat: it beats
    clock.now = T0 + timedelta(seconds=100)
    assert host.close_orphans() == []
    clock.now = T0 + timedelta(seconds=111)
    assert len(host.close_orphans()) == 1
    cause = host.get(host.list()[0].execution_arn).cause
    assert cause == "the coderev serve that ran it stopped (pid 1 on host container)"


def test_an_execution_from_before_owners_were_recorded_is_closed(tmp_path: Path) -> None:
    path = tmp_path / "executions.db"
    with sqlite3.connect(path) as db:
        db.executescript(
            "CREATE TABLE executions (execution_arn TEXT PRIMARY KEY, state_machine_arn TEXT "
            "NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, input TEXT NOT NULL, output "
            "TEXT, error TEXT, cause TEXT, start_date TEXT NOT NULL, stop_date TEXT);"
            "INSERT INTO executions VALUES ('arn:x:execution:M:old', 'arn:x:stateMachine:M', "
            f"'old', 'RUNNING', '{{}}', NULL, NULL, NULL, '{T0.isoformat()}', NULL);"
        )
    store = SqliteExecutionStore(path)
    (found,) = store.list()
    assert found.status is ExecutionStatus.FAILED
    assert found.cause == "the coderev serve that ran it stopped (it recorded no owner)"
    assert store.get("arn:x:execution:M:old").history[-1].id == 1


def test_two_readers_closing_at_once_record_one_failure(
    open_store: Callable[..., SqliteExecutionStore],
) -> None:
    running = begin(open_store(pid=4242), "a1")
    readers = [open_store(pid=n) for n in range(10, 16)]
    closed = at_once([reader.close_orphans for reader in readers], timeout=10)
    assert sorted(len(arns) for arns in closed) == [0] * (len(readers) - 1) + [1]
    history = readers[0].get(running.execution_arn).history
    assert [e.type for e in history].count("ExecutionFailed") == 1


# --- real processes ---------------------------------------------------------------------------


def test_the_real_probe_sees_this_process_a_zombie_and_a_reaped_pid() -> None:
    import os

    me = probe_process(os.getpid())
    assert me.alive is True
    assert probe_process(os.getpid()) == me
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert probe_process(child.pid).alive is True
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while probe_process(child.pid).alive and time.monotonic() < deadline:
            time.sleep(0.02)
        assert probe_process(child.pid).alive is False  # a zombie until reaped: dead
    finally:
        child.wait(10)
    assert probe_process(child.pid).alive is False


def test_a_killed_process_executions_are_closed_by_the_next_reader(tmp_path: Path) -> None:
    """A child process adds an execution and is SIGKILLed; this process closes it."""
    script = textwrap.dedent(f"""
        import sys, time
        from datetime import UTC, datetime
        from coderev.runtime.platform.execution_store import SqliteExecutionStore
        from coderev.runtime.states import Execution
        store = SqliteExecutionStore({str(tmp_path / "executions.db")!r})
        store.add(Execution("arn:aws:states:us-east-1:1:execution:M:k", "arn:m", "k", {{}},
                            datetime.now(UTC)))
        print("running", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "running"
    store = SqliteExecutionStore(tmp_path / "executions.db")
    assert store.list()[0].status is ExecutionStatus.RUNNING  # alive: left alone
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    (closed,) = store.list()
    assert closed.status is ExecutionStatus.FAILED
    import socket

    assert closed.cause == (f"the coderev serve that ran it stopped (pid {child.pid} on host "
                            f"{socket.gethostname()})")  # fmt: skip


# --- platforms --------------------------------------------------------------------------------

SLOW = """
import time

def lambda_handler(event, context):
    time.sleep(event.get("seconds", 1.0))
    return {"slept": True}
"""
TEMPLATE = """
Resources:
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/slow, Handler: app.lambda_handler, Runtime: python3.12,
                 Timeout: 10}
  WorkMachine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: machine.asl.json
      DefinitionSubstitutions: {SlowArn: !GetAtt SlowFunction.Arn}
"""


@pytest.fixture
def template_path(tmp_path: Path) -> Path:
    machine = {"StartAt": "Slow", "States": {"Slow": {"Type": "Task",
               "Resource": "${SlowArn}", "End": True}}}  # fmt: skip
    return write_app(tmp_path, TEMPLATE, {"slow": SLOW}, {"machine.asl.json": json.dumps(machine)})


@pytest.fixture
def platforms(template_path: Path) -> Iterator[list[Platform]]:
    started: list[Platform] = []
    yield started
    for platform in started:
        platform.stop(timeout=10)


def platform_on(store: Any, template_path: Path, platforms: list[Platform]) -> Platform:
    built = Platform(load_template(template_path), PlatformBackends(execution_store=store),
                     port=0, sync_interval=0.05)  # fmt: skip
    platforms.append(built)
    return built.start()


def test_a_second_live_platform_leaves_the_first_ones_executions_running(
    template_path: Path, tmp_path: Path, platforms: list[Platform]
) -> None:
    first = platform_on(SqliteExecutionStore(tmp_path / "executions.db"), template_path,
                        platforms)  # fmt: skip
    arn = first.starter.start("WorkMachine", "long", {"seconds": 1.0})
    time.sleep(0.2)
    second = platform_on(SqliteExecutionStore(tmp_path / "executions.db"), template_path,
                         platforms)  # fmt: skip

    assert second.close_orphans() == []
    assert second.starter.describe(arn) == first.starter.describe(arn)
    assert first.starter.wait(10)
    assert first.starter.describe(arn).status == "SUCCEEDED"  # type: ignore[union-attr]
    assert second.starter.describe("arn:aws:states:us-east-1:1:execution:M:none") is None


def test_a_platform_closes_what_a_crashed_one_left_running_when_it_starts(
    template_path: Path, tmp_path: Path, platforms: list[Platform],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    from coderev import bootstrap
    from coderev.analyses.model import AnalysisStatus, NewAnalysis

    records = bootstrap.analysis_repository()
    crashed = SqliteExecutionStore(tmp_path / "executions.db",
                                   owner=RuntimeOwner("gone-host", 4242, "1", None))  # fmt: skip
    record, _ = records.create_if_absent(NewAnalysis("b", "uploads/x/shop.zip", "e1"))
    left = begin(crashed, record.id)
    records.update_status(record.id, AnalysisStatus.RUNNING, execution_id=left.execution_arn)
    # another analysis whose execution this store never saw: not the start's business
    other, _ = records.create_if_absent(NewAnalysis("b", "uploads/y/shop.zip", "e2"))
    records.update_status(other.id, AnalysisStatus.RUNNING, execution_id="arn:elsewhere")
    clock_now = datetime.now(UTC)
    store = SqliteExecutionStore(tmp_path / "executions.db", lease_seconds=1)
    time.sleep(1.1)  # the crashed owner's last heartbeat is older than the lease

    platform = platform_on(store, template_path, platforms)

    described = platform.starter.describe(left.execution_arn)
    cause = "the coderev serve that ran it stopped (pid 4242 on host gone-host)"
    assert described is not None and described.status == "FAILED"
    assert (described.error, described.cause) == (ORPHAN_ERROR, cause)
    assert store.get(left.execution_arn).stop_date >= clock_now  # type: ignore[operator]
    assert "the coderev serve that ran it stopped" in caplog.text
    failed = records.get(record.id)
    assert failed is not None and failed.status is AnalysisStatus.FAILED
    assert (failed.error, failed.cause) == (ORPHAN_ERROR, cause)
    assert records.get(other.id).status is AnalysisStatus.RUNNING  # type: ignore[union-attr]
    bus = bootstrap.event_bus()
    (event,) = [r.event for r in bus.records("coderev.analysis.failed")]  # type: ignore[attr-defined]
    assert event["data"]["analysis_id"] == record.id and event["data"]["message"] == cause


def test_an_in_memory_store_has_nothing_to_close(
    template_path: Path, platforms: list[Platform]
) -> None:
    platform = platform_on(InMemoryExecutionStore(), template_path, platforms)
    assert platform.close_orphans() == []
