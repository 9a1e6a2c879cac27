"""Running the pinned ruff binary: `ruff check` in batches, and the settings ruff resolves.

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


class RuffError(CoderevError):
    """ruff could not be found, or failed (not: found problems)."""


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
) -> list[tuple[str, dict[str, Any]]]:
    """ruff's JSON diagnostics on `paths` (relative to `root`, ruff's working folder), each
    with its file's path relative to `root`. `home` confines ruff's home folder (see above).
    Raises RuffError when ruff fails."""
    diagnostics: list[tuple[str, dict[str, Any]]] = []
    for batch in _batches(paths):
        proc = _run(binary, root, ["check", *args, "--", *batch], home)
        out: list[dict[str, Any]] = json.loads(proc or b"[]")
        diagnostics.extend((_relative(root, d["filename"]), d) for d in out)
    return diagnostics


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
        raise RuffError(
            f"ruff failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[:500]}"
        )
    return proc.stdout


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


def _relative(root: Path, filename: str) -> str:
    """ruff's absolute file name, relative to root (which may be reached through a symlink)."""
    rel = ""
    for base in (root.absolute(), root.resolve()):
        rel = Path(os.path.relpath(filename, base)).as_posix()
        if not rel.startswith("../"):
            break
    return rel
