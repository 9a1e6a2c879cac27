"""coderev's temp dirs: private, named after their process, removed once it is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coderev.scratch import ScratchDirError, make_dir, remove_abandoned, roots


@pytest.fixture(autouse=True)
def temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return tmp_path


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_dir_is_private_in_coderevs_own_folder_and_named_after_its_process(temp):
    made = make_dir("ruff", memory=True)
    assert made.parent == temp / f"coderev-{os.getuid()}" and roots() == [made.parent]
    assert made.name.startswith(f"ruff-{os.getpid()}-")
    assert made.stat().st_mode & 0o777 == 0o700 and made.parent.stat().st_mode & 0o777 == 0o700


def test_dirs_of_dead_processes_go_and_those_of_live_ones_stay(temp):
    mine = make_dir("review")
    orphan = mine.parent / f"ruff-{_dead_pid()}-abc"
    (orphan / "pkg").mkdir(parents=True)
    (orphan / "pkg" / "a.py").write_text("x = 1\n")
    assert remove_abandoned(dry_run=True) == [orphan] and orphan.exists()
    assert remove_abandoned() == [orphan]
    assert not orphan.exists() and mine.exists()
    assert remove_abandoned(now=time.time() + 2 * 24 * 3600) == [mine]  # a day old: pid reused


def test_what_earlier_versions_left_in_the_temp_folder_goes_too(temp):
    review = temp / f"coderev-review-{_dead_pid()}-xyz"
    ruff = temp / "coderev-ruff-k2j4h1"
    review.mkdir()
    ruff.mkdir()
    assert remove_abandoned() == [review]  # ruff's old copies carry no pid: only once a day old
    assert remove_abandoned(now=time.time() + 2 * 24 * 3600) == [ruff]


def test_a_folder_planted_in_its_place_is_refused(temp):
    (temp / "elsewhere").mkdir()
    (temp / f"coderev-{os.getuid()}").symlink_to(temp / "elsewhere")
    with pytest.raises(ScratchDirError):
        make_dir("ruff")
