"""`coderev review` leaves no process behind: its worker pool and forkserver end with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.functional.conftest import embedded_environ


def _members_of_group(pgid: int) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        # pgid is the 5th field, after the parenthesised command name (which may hold spaces).
        state, ppid, group = stat.rpartition(")")[2].split()[:3]
        if int(group) == pgid:
            found.append(f"{proc.name} ({state}, parent {ppid}) {stat.split()[1]}: {cmdline[:120]}")
    return found


@pytest.mark.parametrize("via", ["platform", "direct"])
def test_no_worker_outlives_the_command(tmp_path: Path, via: str) -> None:
    repo = tmp_path / "repo" / "pkg"
    repo.mkdir(parents=True)
    (repo / "__init__.py").write_text("")
    for i in range(80):  # enough files for the process pool (IN_PROCESS_BELOW)
        (repo / f"m{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    env = embedded_environ(XDG_DATA_HOME=str(tmp_path / "data"))
    command = [sys.executable, "-m", "coderev.cli", "review", str(repo.parent), "--out",
               str(tmp_path / "out"), "--jobs", "2", "--via", via, "--quiet"]  # fmt: skip
    process = subprocess.Popen(command, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err.decode()
    assert _members_of_group(process.pid) == []
    assert os.path.exists(tmp_path / "out" / "report.json")
