"""Reading the code under review, safely: from a directory, a .zip, a .tar or a .tar.gz/.tgz.

Archives are read in memory (from a path, or from bytes fetched from object storage) and never
extracted: nothing is written anywhere, so absolute or `..` member names, links and device
entries can only be skipped and reported, never followed. Safety limits (`ArchiveLimits`) are
enforced on what is actually inflated; exceeding one raises ArchiveLimitError, an unreadable
archive CorruptArchiveError, anything else UnsupportedInputError.

A directory is walked without following any symlink (each one is reported), pruning skipped
folders as it goes so `node_modules` or `.git` cost one directory listing. Nothing is inflated
from a directory, so a file's size is known before reading it: source files over the source
size are skipped unread, and only the total read is a hard limit.

What is kept, skipped or not listed at all is decided in `skipping`, the same for every input.

check_archive_bytes refuses what read_archive_bytes would refuse without assembling a tree
(the platform's ingest, before an execution starts). With `keep`, the members it read are
kept for the next read_archive_bytes of the same bytes in this process (one archive, taken
once; the bytes compared, not hashed: a memcmp): on the local platform Index reads the upload
ingest has just checked, and inflating it again cost about 0.6 s of Django's review.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from coderev.analysis.archive_tar import read_tar
from coderev.analysis.archive_zip import read_zip
from coderev.analysis.languages import OTHER, SHEBANG_BYTES, language_from_shebang
from coderev.analysis.limits import ARCHIVE_SIZE, ArchiveLimits, ByteBudget
from coderev.analysis.skipping import (
    Entry,
    Exclusions,
    Want,
    assemble,
    examine,
    folder_reason,
    plan,
    shown,
    too_large,
    unless_package_reason,
)
from coderev.domain.errors import ArchiveLimitError, UnsupportedInputError
from coderev.domain.source import SkipReason, SourceTree

__all__ = [
    "ArchiveLimits",
    "archive_kind",
    "check_archive_bytes",
    "read_archive_bytes",
    "read_source",
]

ArchiveKind = Literal["zip", "tar", "tar.gz"]
SUPPORTED = ".zip, .tar, .tar.gz or .tgz"
_UNSUPPORTED_MAGIC = {
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!": "RAR",
    b"(\xb5/\xfd": "zstd",
}
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_source(
    path: str | os.PathLike[str], limits: ArchiveLimits | None = None, exclude: Sequence[str] = ()
) -> SourceTree:
    """The source tree of a directory or an archive file (chosen by its content, then name)."""
    limits = limits or ArchiveLimits()
    root = Path(path)
    if root.is_dir():
        return _read_directory(root, limits, Exclusions(exclude))
    if not root.exists():
        raise UnsupportedInputError(f"{root}: no such file or directory")
    if not root.is_file():
        raise UnsupportedInputError(f"{root}: not a directory or a regular file")
    size = root.stat().st_size
    if size > limits.max_total_bytes:
        raise ArchiveLimitError(ARCHIVE_SIZE, size, limits.max_total_bytes, root.name)
    return read_archive_bytes(root.name, root.read_bytes(), limits, exclude)


def read_archive_bytes(
    name: str, data: bytes, limits: ArchiveLimits | None = None, exclude: Sequence[str] = ()
) -> SourceTree:
    """The source tree of an archive held in memory; `name` is used for its format and report."""
    limits = limits or ArchiveLimits()
    entries = _kept_entries(name, data, limits)
    if entries is None:
        entries = _entries(name, data, limits)
    return assemble(name, entries, Exclusions(exclude))


def check_archive_bytes(
    name: str, data: bytes, limits: ArchiveLimits | None = None, *, keep: bool = False
) -> None:
    """Raise what read_archive_bytes would raise for this archive, without making its tree;
    with `keep`, its members are kept for this process's next read of the same bytes."""
    global _kept
    limits = limits or ArchiveLimits()
    entries = _entries(name, data, limits)
    if keep:
        with _kept_lock:
            _kept = (name, data, limits, entries)


_kept: tuple[str, bytes, ArchiveLimits, list[Entry]] | None = None
_kept_lock = threading.Lock()


def _kept_entries(name: str, data: bytes, limits: ArchiveLimits) -> list[Entry] | None:
    global _kept
    with _kept_lock:
        kept, _kept = _kept, None
    if kept is None or (kept[0], kept[2]) != (name, limits) or kept[1] != data:
        return None
    return kept[3]


def _entries(name: str, data: bytes, limits: ArchiveLimits) -> list[Entry]:
    if len(data) > limits.max_total_bytes:
        raise ArchiveLimitError(ARCHIVE_SIZE, len(data), limits.max_total_bytes, name)
    kind = archive_kind(name, data)
    budget = ByteBudget(limits)
    return read_zip(data, budget) if kind == "zip" else read_tar(data, budget, kind == "tar.gz")


def archive_kind(name: str, data: bytes) -> ArchiveKind:
    """The archive format, from its magic bytes first and its name only when they are silent."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if data[:2] == b"\x1f\x8b":
        return "tar.gz"
    if data[257:262] == b"ustar":
        return "tar"
    for magic, fmt in _UNSUPPORTED_MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedInputError(f"{name}: {fmt} archives are unsupported, use {SUPPORTED}")
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return "zip"
    if lowered.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    if lowered.endswith(".tar"):
        return "tar"  # a pre-POSIX tar has no magic
    raise UnsupportedInputError(f"{name}: not a directory or a supported archive ({SUPPORTED})")


def _read_directory(root: Path, limits: ArchiveLimits, exclusions: Exclusions) -> SourceTree:
    budget = ByteBudget(limits)
    entries: list[Entry] = []
    pending: list[tuple[tuple[str, ...], str]] = [((), str(root))]
    while pending:
        parts, folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                children = list(listing)
        except OSError as e:
            raise UnsupportedInputError(f"{folder}: cannot be listed: {e.strerror}") from e
        if parts and any(c.name == "pyvenv.cfg" for c in children):
            entries.append(Entry((*parts, "pyvenv.cfg"), "/".join(parts)))  # a virtualenv
            continue
        for child in children:
            here = (*parts, child.name)
            rel = "/".join(here)
            if child.is_symlink():
                entries.append(_symlink(here, rel, child.path))
            elif child.is_dir(follow_symlinks=False):
                if _prune(child, rel, exclusions):
                    entries.append(Entry(here, rel, is_dir=True))
                else:
                    pending.append((here, child.path))
            elif child.is_file(follow_symlinks=False):
                entries.append(_file(here, rel, child.path, budget, exclusions))
            else:
                entries.append(Entry(here, rel, reason=SkipReason.DEVICE, detail="not a file"))
    return assemble(root.resolve().name or str(root), entries, exclusions, strip_top=False)


def _prune(child: os.DirEntry[str], rel: str, exclusions: Exclusions) -> bool:
    """Whether a folder is skipped without looking inside (`assemble` reports it once)."""
    if folder_reason(child.name) or exclusions.matches(rel):
        return True
    if unless_package_reason(child.name):
        return not os.path.isfile(os.path.join(child.path, "__init__.py"))
    return False


def _symlink(parts: tuple[str, ...], rel: str, path: str) -> Entry:
    try:
        target = f"-> {shown(os.readlink(path))}"
    except OSError:
        target = ""
    return Entry(parts, rel, reason=SkipReason.SYMLINK, detail=target)


def _file(
    parts: tuple[str, ...], rel: str, path: str, budget: ByteBudget, exclusions: Exclusions
) -> Entry:
    want, language, reason = plan(parts)
    entry = Entry(parts, rel, language=language, reason=reason)
    if want is Want.NOTHING or reason is not None or exclusions.matches(rel):
        return entry  # `assemble` reports the exclusion; the file is never opened
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as e:  # raced into a symlink (O_NOFOLLOW), or unreadable
        entry.reason, entry.detail = SkipReason.DEVICE, f"cannot be opened: {e.strerror}"
        return entry
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            entry.reason, entry.detail = SkipReason.DEVICE, "not a regular file"
            return entry
        if info.st_size > budget.limits.max_source_bytes:
            entry.reason = SkipReason.TOO_LARGE
            entry.detail = too_large(info.st_size, budget.limits)
            return entry
        if want is Want.HEAD:
            entry.language = language_from_shebang(f.read(SHEBANG_BYTES))
            if entry.language == OTHER:
                return entry
            f.seek(0)
        data = f.read(budget.limits.max_source_bytes + 1)
    budget.add(rel, len(data))
    entry.reason, entry.detail = examine(entry.language, data, budget.limits)
    if entry.reason is None:
        entry.data = data
    return entry
