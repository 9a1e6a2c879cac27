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
atexit.register(lambda: marker.write_text(
    "atexit ran" if not marker.exists() else "atexit ran twice"))
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
    assert marker.read_text() == "atexit ran"  # once: the normal exit does not run it again


def test_a_review_using_the_worker_pool_skips_the_teardown(tmp_path: Path) -> None:
    """The pool's manager thread is not a daemon: the pool's atexit handler ends it, so the
    command still takes the short way out."""
    script = textwrap.dedent("""
        import os, sys, time
        from coderev.cli import _exit_now
        from coderev.pipeline.parallel import warm_up

        warm_up(2)
        time.sleep(0.5)
        real_exit = os._exit
        def noted(code):
            print("os._exit", code, flush=True)
            real_exit(code)
        os._exit = noted
        try:
            raise SystemExit(0)
        except SystemExit as done:
            _exit_now(done)
            print("normal exit")
            raise
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=False, cwd=tmp_path)  # fmt: skip
    assert (done.returncode, done.stdout.strip()) == (0, "os._exit 0")
