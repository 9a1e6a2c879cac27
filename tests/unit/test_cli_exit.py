"""The `coderev` command ends without the interpreter's teardown (coderev.cli._exit_now), and
still does what an exit must: its status, its buffered output, its atexit handlers; with a
non-daemon thread still running it exits normally, which waits for it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = """
import atexit, sys, threading, time
from pathlib import Path
from coderev.cli import _exit_now

marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("atexit ran"))
sys.stdout.write("buffered, no newline")  # a pipe: block-buffered until flushed
if sys.argv[2] == "thread":
    def late() -> None:
        time.sleep(0.3)
        marker.with_suffix(".thread").write_text("thread finished")
    threading.Thread(target=late).start()
try:
    raise SystemExit(int(sys.argv[3]))
except SystemExit as done:
    _exit_now(done)
    print(" | normal exit", end="")
    raise
"""


@pytest.mark.parametrize("status", [0, 1, 3])
def test_the_command_exits_with_its_status_output_and_atexit_handlers(
    tmp_path: Path, status: int
) -> None:
    marker = tmp_path / "marker.txt"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(marker), "-", str(status)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == status
    assert done.stdout == "buffered, no newline"  # flushed; the normal exit was skipped
    assert marker.read_text() == "atexit ran"


def test_a_running_non_daemon_thread_gets_the_normal_exit(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), str(marker), "thread", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == "buffered, no newline | normal exit"
    assert marker.with_suffix(".thread").read_text() == "thread finished"
    assert marker.read_text() == "atexit ran"
