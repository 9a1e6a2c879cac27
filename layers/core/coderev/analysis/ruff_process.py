"""Running the pinned ruff binary: `ruff check` in batches, and the settings ruff resolves.

One file must not cost the whole tree its lint: ruff aborts its whole process on some inputs
(a few thousand nested brackets, or a 100,000-term `+` chain, overflow its parser's stack), so
a batch whose ruff process dies of a signal or a panic is split in halves and each half run
again, down to the single files that crash; those are returned as `RuffCrash` records (the
caller reports each as a finding) and every other file keeps its diagnostics. k crashing
files among n cost at most about 2k·log2(n) extra runs, and never more than MAX_RETRIES: an
archive of a thousand crashing files must not buy minutes of ruff runs, so past that budget
the files of a batch that still crashes are each reported as not linted, never dropped
silently. A refusal (exit 2: a configuration ruff rejects) is not a crash and still raises
RuffError.

ruff runs with a minimal environment whose HOME and XDG_CONFIG_HOME are the private folder it
works in: ruff expands `~` and `$VARIABLES` in configuration paths and falls back to a user
configuration under the home folder, and neither may reach the host's files; nor may a
`RUFF_*` variable of the calling process change what a review reports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from coderev.domain.errors import CoderevError

__all__ = [
    "RuffCheck",
    "RuffCrash",
    "RuffError",
    "RuffSettings",
    "find_ruff",
    "ruff_check",
    "ruff_settings",
    "ruff_version",
]

_BATCH_CHARS = 60_000  # well under any OS's argument-length limit
_ENABLED = re.compile(r"^\s+\S.* \((?P<code>[A-Z]+[0-9]+)\),?$")
_SETTINGS_PATH = re.compile(r'^Settings path: "(?P<path>.*)"$')
_PANIC_EXIT = 101  # a Rust panic that unwinds to main
MAX_RETRIES = 256  # ruff runs spent finding crashing files, per ruff_check
_THREAD = re.compile(r"thread '[^']*' \(\d+\) ")


class RuffError(CoderevError):
    """ruff could not be found, or failed (not: found problems)."""


class _RuffCrashedError(RuffError):
    """The ruff process died (a signal or a panic) rather than refusing its input."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RuffCrash:
    """ruff crashed on this file alone (`path` relative to ruff's working folder); `reason`
    is a short sentence from ruff's own last words, e.g. "stack overflow"."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class RuffCheck:
    """One `ruff_check`: the diagnostics (each with its file's path) and the files ruff
    crashed on, which have no diagnostics."""

    diagnostics: list[tuple[str, dict[str, Any]]]
    crashes: tuple[RuffCrash, ...] = ()


def find_ruff() -> str:
    """Path of the ruff binary installed with coderev."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return os.fsdecode(find_ruff_bin())
    except (ImportError, FileNotFoundError):
        pass
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return str(beside)
    found = shutil.which("ruff")
    if found is None:
        raise RuffError("ruff is not installed (pip install ruff)")
    return found


@cache
def ruff_version() -> str:
    """The installed ruff's version, e.g. "0.17.5"."""
    try:
        return metadata.version("ruff")
    except metadata.PackageNotFoundError:
        out = subprocess.run(
            [find_ruff(), "--version"], capture_output=True, text=True, check=False
        )
        return out.stdout.strip().removeprefix("ruff ").strip() or "unknown"


def ruff_check(
    binary: str, root: Path, args: Sequence[str], paths: Sequence[str], home: Path | None = None
) -> RuffCheck:
    """ruff's JSON diagnostics on `paths` (relative to `root`, ruff's working folder), each
    with its file's path relative to `root`, and the files ruff crashed on (see above).
    `home` confines ruff's home folder (see above). Raises RuffError when ruff refuses to
    run (not: crashes on a file)."""
    diagnostics: list[tuple[str, dict[str, Any]]] = []
    crashes: list[RuffCrash] = []
    bases = (root.absolute(), root.resolve())
    relative: dict[str, str] = {}  # ruff reports a file's name once per diagnostic
    pending = list(_batches(paths))[::-1]
    retries = 0
    while pending:
        batch = pending.pop()
        try:
            proc = _run(binary, root, ["check", *args, "--", *batch], home)
        except _RuffCrashedError as crash:
            if len(batch) == 1:
                crashes.append(RuffCrash(batch[0], crash.reason))
            elif retries + 2 > MAX_RETRIES:
                reason = (f"{crash.reason}, on a batch of {len(batch)} files holding this one; "
                          f"coderev stopped splitting after {retries} retries")  # fmt: skip
                crashes += (RuffCrash(path, reason) for path in batch)
            else:  # the second half goes on the stack first: files stay in their order
                half = len(batch) // 2
                pending += [batch[half:], batch[:half]]
                retries += 2
            continue
        out: list[dict[str, Any]] = json.loads(proc or b"[]")
        for d in out:
            name = d["filename"]
            rel = relative.get(name)
            if rel is None:
                rel = relative[name] = _relative(bases, name)
            diagnostics.append((rel, d))
    return RuffCheck(diagnostics, tuple(crashes))


@dataclass(frozen=True, slots=True)
class RuffSettings:
    """What `ruff check --show-settings` says about one file: the settings file ruff chose
    (None when it ran without one) and the rule codes enabled there."""

    path: Path | None
    enabled: frozenset[str]


def ruff_settings(
    binary: str, root: Path, args: Sequence[str], path: str, home: Path | None = None
) -> RuffSettings:
    """The settings ruff resolves for `path` (relative to `root`) with `args`. Raises
    RuffError when ruff refuses the configuration (its message is ruff's own cause)."""
    text = _run(binary, root, ["check", "--no-cache", "--show-settings", *args, "--", path], home)
    settings_path: Path | None = None
    enabled: set[str] = set()
    inside = False
    for line in text.decode("utf-8", "replace").splitlines():
        if match := _SETTINGS_PATH.match(line):
            settings_path = Path(match["path"])
        elif line.startswith("linter.rules.enabled = ["):
            inside = True
        elif inside and (match := _ENABLED.match(line)):
            enabled.add(match["code"])
        elif inside:
            break
    return RuffSettings(settings_path, frozenset(enabled))


def _run(binary: str, root: Path, args: list[str], home: Path | None) -> bytes:
    env = None
    if home is not None:
        env = {
            "PATH": os.environ.get("PATH", os.defpath),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "LANG": "C.UTF-8",
        }
    proc = subprocess.run([binary, *args], cwd=root, capture_output=True, check=False, env=env)
    if proc.returncode != 0:
        stderr = proc.stderr.decode(errors="replace")
        message = f"ruff failed (exit {proc.returncode}): {stderr[:500]}"
        if proc.returncode < 0 or proc.returncode == _PANIC_EXIT:
            raise _RuffCrashedError(message, _crash_reason(proc.returncode, stderr))
        raise RuffError(message)
    return proc.stdout


def _crash_reason(returncode: int, stderr: str) -> str:
    """ruff's last words without thread ids or the host's paths, and how it ended."""
    lines = [_THREAD.sub("", line).strip() for line in stderr.splitlines()]
    said = [line for line in lines if line and not line.startswith("note:")]
    words = said[-1].removeprefix("fatal runtime error: ") if said else "no message"
    if "overflowed its stack" in stderr:
        words = "stack overflow"
    if returncode < 0:
        try:
            how = f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"killed by signal {-returncode}"
    else:
        how = "panicked"
    return f"{words[:200]} ({how})"


def _batches(paths: Sequence[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    size = 0
    for p in paths:
        if batch and size + len(p) + 1 > _BATCH_CHARS:
            yield batch
            batch, size = [], 0
        batch.append(p)
        size += len(p) + 1
    if batch:
        yield batch


def _relative(bases: tuple[Path, Path], filename: str) -> str:
    """ruff's absolute file name, relative to the root ruff ran in, given as its absolute and
    its resolved path (it may be reached through a symlink)."""
    rel = ""
    for base in bases:
        rel = Path(os.path.relpath(filename, base)).as_posix()
        if not rel.startswith("../"):
            break
    return rel
