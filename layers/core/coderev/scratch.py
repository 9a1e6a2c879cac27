"""coderev's temp dirs: where they live, and removing the ones a killed process left behind.

Every temp dir coderev makes (ruff's private copy of the code under review, a CLI review's
private data dir) lives in a folder coderev owns, `coderev-<uid>` (0700, checked to be this
user's real directory, not a link someone planted in a shared temp dir), and is named
`<kind>-<pid>-<random>` after the process that made it. A process removes its own dirs when
it is done; a process killed with SIGKILL cannot, so `remove_abandoned` removes every dir
whose process is gone (or that is older than a day, in case the pid was reused). `coderev
serve` runs it on start-up, `coderev gc` and the housekeeping schedule run it too.

Two roots, for two kinds of use: `memory=True` is the shared-memory folder when there is one
and TMPDIR does not name another (ruff's copy of Django's 2,800 files took 4-6 s to write and
remove on disk, ten times as long as in memory), else the temp folder; `memory=False` is
always the temp folder (a review's data dir holds the uploaded archive and reports, too big
for RAM). Not under the data dir: the copy must be in memory to be fast, and a review must not
write to the data dir of the platform it is kept apart from.

Hand-written rather than `tempfile.TemporaryDirectory`: that removes its dir only when the
process lives to do it; the owner's pid in the name is what lets another process tell an
abandoned dir from one in use.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

__all__ = ["ABANDONED_AFTER_SECONDS", "ScratchDirError", "make_dir", "remove_abandoned", "roots"]

ABANDONED_AFTER_SECONDS = 24 * 3600  # longer than any step's or review's timeout
_LEGACY = ("coderev-review-*", "coderev-ruff-*")
_SHM = "/dev/shm"  # noqa: S108 - coderev's own 0700 folder is made inside it, as in /tmp


class ScratchDirError(OSError):
    """coderev's folder in the temp dir exists but is not this user's private directory."""


def _base(memory: bool) -> Path:
    if memory and "TMPDIR" not in os.environ and os.access(_SHM, os.W_OK | os.X_OK):
        return Path(_SHM)
    return Path(tempfile.gettempdir())


def _owned_root(base: Path, create: bool) -> Path | None:
    root = base / f"coderev-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    if create:
        with contextlib.suppress(FileExistsError):
            root.mkdir(mode=0o700)
    try:
        info = root.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISDIR(info.st_mode) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise ScratchDirError(f"{root} is not a directory of this user's; remove it")
    if stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(root, 0o700)
    return root


def roots() -> list[Path]:
    """coderev's temp folders that exist (the memory one and the disk one, if they differ)."""
    found: list[Path] = []
    for memory in (True, False):
        root = _owned_root(_base(memory), create=False)
        if root is not None and root not in found:
            found.append(root)
    return found


def make_dir(kind: str, *, memory: bool = False) -> Path:
    """A fresh private (0700) dir `<kind>-<pid>-…` in coderev's temp folder; the caller
    removes it when done (if it cannot, `remove_abandoned` will)."""
    root = _owned_root(_base(memory), create=True)
    assert root is not None
    return Path(tempfile.mkdtemp(prefix=f"{kind}-{os.getpid()}-", dir=root)).resolve()


def remove_abandoned(*, now: float | None = None, dry_run: bool = False) -> list[Path]:
    """Remove the dirs whose process is gone (or that are a day old); the removed dirs
    (with `dry_run`, the dirs it would remove, left in place).

    Also the dirs earlier versions left directly in the temp folders: `coderev-review-<pid>-…`
    by the same rule, `coderev-ruff-…` (no pid in the name) once a day old."""
    moment = time.time() if now is None else now
    legacy = [entry for base in {_base(True), _base(False)} for pattern in _LEGACY
              for entry in base.glob(pattern)]  # fmt: skip
    ours = [entry for root in roots() for entry in root.iterdir()]
    removed: list[Path] = []
    for entry in [*legacy, *ours]:
        try:
            age = moment - entry.lstat().st_mtime
        except OSError:
            continue
        pid = _owner(entry.name.removeprefix("coderev-"))
        in_use = pid is not None and _alive(pid)
        if age < ABANDONED_AFTER_SECONDS and (in_use or (pid is None and entry not in ours)):
            continue
        if dry_run:
            pass
        elif entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


def _owner(name: str) -> int | None:
    parts = name.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
