"""What is kept as source, what is skipped (and why), and how entry names become safe paths.

Every reader (zip, tar, directory) turns what it sees into `Entry` values through the same
rules, in two passes:

1. while reading, per entry: `split_name` refuses absolute and `..` names, `plan` says how much
   of an entry is worth reading (nothing for docs, images or anything inside node_modules;
   the first line for an extension-less file that may be a script), `examine` flags binary,
   minified, undecodable and over-large source, so their bytes can be dropped at once;
2. once all names are known, `assemble` strips a single top-level folder, skips folders that
   are only recognisable from their contents (a virtualenv holds pyvenv.cfg; `build/`, `dist/`,
   `target/` and `venv/` are skipped unless they are a Python package, i.e. hold __init__.py),
   applies the user's exclude globs, and reports each skipped folder once.

TOML files are kept apart (`SourceTree.toml_files`), at any depth, never reviewed: ruff's
configuration may be any of them. Files that are not source by name (language "other") are
not listed at all, not even as skipped: reporting every README and PNG would bury the
entries that matter. Reported are the categories a reviewer may wonder about: skipped
folders, unsafe or special entries, and files that look like source but are binary,
minified, not UTF-8, too large or excluded.
"""

from __future__ import annotations

import codecs
import fnmatch
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from coderev.analysis.languages import OTHER, language_for_name, needs_shebang
from coderev.analysis.limits import ArchiveLimits
from coderev.domain.source import SkippedEntry, SkipReason, SourceFile, SourceTree

CONFIG_NAMES = frozenset({"pyproject.toml", ".coderev.toml", "setup.cfg", ".importlinter"})

_FOLDERS: dict[str, SkipReason] = {
    ".git": SkipReason.VCS,
    ".hg": SkipReason.VCS,
    ".svn": SkipReason.VCS,
    ".bzr": SkipReason.VCS,
    ".venv": SkipReason.VIRTUALENV,
    "site-packages": SkipReason.VIRTUALENV,
    "dist-packages": SkipReason.VIRTUALENV,
    "node_modules": SkipReason.NODE_MODULES,
    "__pycache__": SkipReason.CACHE,
    ".mypy_cache": SkipReason.CACHE,
    ".pytest_cache": SkipReason.CACHE,
    ".ruff_cache": SkipReason.CACHE,
    ".hypothesis": SkipReason.CACHE,
    ".tox": SkipReason.BUILD_OUTPUT,
    ".nox": SkipReason.BUILD_OUTPUT,
    ".eggs": SkipReason.BUILD_OUTPUT,
    "htmlcov": SkipReason.BUILD_OUTPUT,
}
# Skipped unless they hold __init__.py: pip has a `build` package, CPython a `venv` one.
_UNLESS_PACKAGE: dict[str, SkipReason] = {
    "build": SkipReason.BUILD_OUTPUT,
    "dist": SkipReason.BUILD_OUTPUT,
    "target": SkipReason.BUILD_OUTPUT,
    "venv": SkipReason.VIRTUALENV,
}
# Why a file's bytes were dropped: not worth listing for a TOML file that is no configuration.
_UNREADABLE = frozenset({SkipReason.TOO_LARGE, SkipReason.BINARY, SkipReason.DECODE_ERROR})
_MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.css")
_MINIFIABLE = frozenset({"javascript", "css"})
_MINIFIED_MIN_BYTES = 2048  # a short one-line file is not "minified", just short
_MINIFIED_LINE = 250  # average characters per line above which JS/CSS counts as minified
_BINARY_SNIFF = 8 * 1024
_DRIVE = re.compile(r"[A-Za-z]:")
_SHOWN_MAX = 300
# A name a file system holds with room to spare under Linux's PATH_MAX (4,096 bytes) once the
# private copy's folder is in front, and a depth os.makedirs can create (it recurses per folder).
MAX_PATH_BYTES = 1024
MAX_PATH_DEPTH = 128
_NAME_MAX = 255  # bytes in one folder or file name (ext4, XFS, APFS, NTFS's UTF-16 units)


def folder_reason(name: str) -> SkipReason | None:
    """Why a folder of this name is always skipped, wherever it is; None if it is not."""
    if name in _FOLDERS:
        return _FOLDERS[name]
    return SkipReason.BUILD_OUTPUT if name.endswith(".egg-info") else None


def unless_package_reason(name: str) -> SkipReason | None:
    """Why a folder of this name is skipped when it is not a Python package."""
    return _UNLESS_PACKAGE.get(name)


def shown(name: str) -> str:
    """A name as given, safe to print: control characters escaped, length bounded."""
    if not name.isprintable():
        name = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return name if len(name) <= _SHOWN_MAX else name[:_SHOWN_MAX] + "..."


def split_name(name: str) -> tuple[str, ...] | SkipReason:
    """The normalized components of an archive member name, or why it is unsafe.

    Backslashes count as separators (Windows-made zips use them), so `..\\x` is traversal
    and `C:\\x` absolute. Any `..` component is refused, even one that would stay inside."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        return SkipReason.ABSOLUTE_PATH
    parts = tuple(p for p in unified.split("/") if p and p != ".")
    if ".." in parts:
        return SkipReason.PATH_TRAVERSAL
    if ":" in unified and any(_DRIVE.match(p) for p in parts):
        return SkipReason.ABSOLUTE_PATH  # `top/C:x`: once `top/` is stripped, a drive path
    return parts


class Want(Enum):
    NOTHING = 0  # not source, or inside an always-skipped folder
    HEAD = 1  # an extension-less file: the first line may be a shebang
    ALL = 2


@dataclass(slots=True)
class Entry:
    """One archive member or directory entry, as seen by the first pass."""

    parts: tuple[str, ...]  # normalized components; () for an unsafe name
    shown: str  # the name as given, for reports of unsafe entries
    is_dir: bool = False
    data: bytes | None = None  # kept only for source and config files worth listing
    language: str = OTHER
    reason: SkipReason | None = None
    detail: str = ""


def plan(parts: tuple[str, ...]) -> tuple[Want, str, SkipReason | None]:
    """How much of a regular file to read, its language by name, and a reason known from the
    name alone (minified by suffix)."""
    if any(folder_reason(p) for p in parts[:-1]):
        return Want.NOTHING, OTHER, None
    name = parts[-1]
    if name in CONFIG_NAMES and len(parts) <= 2:  # at the root, maybe under a top folder
        return Want.ALL, OTHER, None
    if name.endswith(".toml"):  # maybe ruff's configuration, at any depth
        return Want.ALL, OTHER, None
    language = language_for_name(name)
    if language != OTHER:
        if name.lower().endswith(_MINIFIED_SUFFIXES):
            return Want.NOTHING, language, SkipReason.MINIFIED
        return Want.ALL, language, None
    return (Want.HEAD if needs_shebang(name) else Want.NOTHING), OTHER, None


def examine(language: str, data: bytes, limits: ArchiveLimits) -> tuple[SkipReason | None, str]:
    """Why a file that looks like source by name should not be reviewed, from its bytes."""
    size = len(data)
    if size > limits.max_source_bytes:
        return SkipReason.TOO_LARGE, too_large(size, limits)
    if b"\0" in data[:_BINARY_SNIFF]:
        return SkipReason.BINARY, "NUL byte in the first 8 KiB"
    if language in _MINIFIABLE and size > _MINIFIED_MIN_BYTES:
        average = size / (data.count(b"\n") + 1)
        if average > _MINIFIED_LINE:
            return SkipReason.MINIFIED, f"average line length {average:,.0f}"
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as e:
            if language != "python" or not _declares_encoding(data):
                return SkipReason.DECODE_ERROR, f"invalid UTF-8 at byte {e.start:,}"
    return None, ""


def too_large(size: int, limits: ArchiveLimits) -> str:
    return f"{size:,} bytes, source limit {limits.max_source_bytes:,}"


def _declares_encoding(data: bytes) -> bool:
    """True when Python source has a PEP 263 coding cookie its bytes actually decode with."""
    lines = iter(data.splitlines(keepends=True)[:2])
    try:
        encoding, _ = tokenize.detect_encoding(lambda: next(lines, b""))
        codecs.decode(data, encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return False
    return encoding not in ("utf-8", "utf-8-sig")


class Exclusions:
    """The user's exclude globs, matched (fnmatch, `*` crossing `/`) on a relative path and on
    each of its parent folders, so `docs` or `vendor/*` exclude a whole folder."""

    def __init__(self, patterns: Sequence[str]) -> None:
        cleaned = [p.strip().replace("\\", "/").removeprefix("./").rstrip("/") for p in patterns]
        self.patterns = tuple(p for p in cleaned if p)
        joined = "|".join(fnmatch.translate(p) for p in self.patterns)
        self._regex = re.compile(joined) if joined else None

    def matches(self, path: str) -> bool:
        return self._regex is not None and self._regex.match(path) is not None

    def pattern_for(self, path: str) -> str:
        return next((p for p in self.patterns if fnmatch.fnmatchcase(path, p)), "")


def common_top(entries: Iterable[Entry]) -> str | None:
    """The single top-level folder every entry sits under (GitHub and sdist archives), if any.

    Never one that is itself always skipped (an archive of a lone `.git` stays skipped), nor a
    Python package: a zip of `pkg/` keeps `pkg/` so its modules keep their names."""
    top: str | None = None
    package = False
    for e in entries:
        if not e.parts:
            continue
        if (len(e.parts) == 1 and not e.is_dir) or (top is not None and e.parts[0] != top):
            return None
        top = e.parts[0]
        package = package or (len(e.parts) == 2 and e.parts[1] == "__init__.py" and not e.is_dir)
    return None if top is None or package or folder_reason(top) else top


def assemble(
    name: str, entries: list[Entry], exclusions: Exclusions, strip_top: bool = True
) -> SourceTree:
    """The second pass: from every entry of one archive or directory to the SourceTree."""
    strip = 1 if strip_top and common_top(entries) is not None else 0
    venvs: set[tuple[str, ...]] = set()
    packages: set[tuple[str, ...]] = set()
    for e in entries:
        if e.parts and not e.is_dir:
            if e.parts[-1] == "pyvenv.cfg":
                venvs.add(e.parts[strip:-1])
            elif e.parts[-1] == "__init__.py":
                packages.add(e.parts[strip:-1])
    files: dict[str, SourceFile] = {}
    configs: dict[str, SourceFile] = {}
    tomls: dict[str, SourceFile] = {}
    skipped: dict[str, SkippedEntry] = {}
    for e in entries:
        if not e.parts:
            if e.reason is not None:
                skipped.setdefault(e.shown, SkippedEntry(e.shown, e.reason, e.detail))
            continue
        rel = e.parts[strip:]
        if not rel:
            continue
        folder = _skipped_folder(rel, e.is_dir, venvs, packages, exclusions)
        if folder is not None:
            skipped.setdefault(folder.path, folder)
            continue
        path = "/".join(rel)
        is_config = len(rel) == 1 and rel[0] in CONFIG_NAMES
        for seen in (files, configs, tomls, skipped):  # a name given twice: the last one wins
            seen.pop(path, None)
        if exclusions.matches(path) and not e.is_dir:
            if e.language != OTHER or e.reason is not None or is_config:  # else: not listed
                detail = f"matches {exclusions.pattern_for(path)!r}"
                skipped[path] = SkippedEntry(path, SkipReason.EXCLUDED, detail)
        elif e.reason is not None:
            if is_config or not (rel[-1].endswith(".toml") and e.reason in _UNREADABLE):
                skipped[path] = SkippedEntry(path, e.reason, e.detail)
        elif e.data is None or e.is_dir:
            continue
        elif is_config or e.language == OTHER:
            if rel[-1].endswith(".toml"):
                tomls[path] = SourceFile(path, e.data, OTHER)
            if is_config:
                configs[path] = SourceFile(path, e.data, OTHER)
        else:
            files[path] = SourceFile(path, e.data, e.language)
    _drop_unwritable(files, configs, tomls, skipped)
    return SourceTree(
        name=name,
        files=tuple(files[k] for k in sorted(files)),
        skipped=tuple(skipped[k] for k in sorted(skipped)),
        config_files=tuple(configs[k] for k in sorted(configs)),
        toml_files=tuple(tomls[k] for k in sorted(tomls)),
    )


def _drop_unwritable(
    files: dict[str, SourceFile],
    configs: dict[str, SourceFile],
    tomls: dict[str, SourceFile],
    skipped: dict[str, SkippedEntry],
) -> None:
    """Keep the tree one that a file system can hold, as ruff's private copy must.

    A name longer than a file system allows (a folder name over 255 bytes, a path over
    MAX_PATH_BYTES or deeper than MAX_PATH_DEPTH folders) is skipped as path-too-long. An
    archive may also name `pkg/a.py` as a file and as the folder of `pkg/a.py/b.py`; no file
    system holds both, so the file is skipped as path-clash and the folder's files kept."""
    for path in [*files, *tomls]:
        encoded = path.encode("utf-8", "surrogateescape")
        parts = encoded.split(b"/")
        if (len(encoded) > MAX_PATH_BYTES or len(parts) > MAX_PATH_DEPTH
                or max(map(len, parts)) > _NAME_MAX):  # fmt: skip
            _skip(path, files, configs, tomls, skipped, SkipReason.PATH_TOO_LONG,
                  f"{len(encoded):,} bytes in {len(parts):,} parts")  # fmt: skip
    folders: set[str] = set()
    for path in (*files, *tomls):
        cut = path.rfind("/")
        while cut > 0 and (folder := path[:cut]) not in folders:
            folders.add(folder)
            cut = path.rfind("/", 0, cut)
    for path in folders.intersection(files) | folders.intersection(tomls):
        detail = "also a folder in the archive"
        _skip(path, files, configs, tomls, skipped, SkipReason.PATH_CLASH, detail)


def _skip(
    path: str,
    files: dict[str, SourceFile],
    configs: dict[str, SourceFile],
    tomls: dict[str, SourceFile],
    skipped: dict[str, SkippedEntry],
    reason: SkipReason,
    detail: str,
) -> None:
    for kept in (files, configs, tomls):
        kept.pop(path, None)
    skipped[path] = SkippedEntry(path, reason, detail)


def exclude_from_tree(tree: SourceTree, patterns: Sequence[str]) -> SourceTree:
    """`tree` without the files the repository's own configuration excludes (its
    `[tool.coderev] exclude`, known only once the tree is read): each listed as skipped as
    the reader lists a command-line exclusion, its outermost matching folder once."""
    exclusions = Exclusions(patterns)
    if not exclusions.patterns:
        return tree
    kept: list[SourceFile] = []
    skipped = {entry.path: entry for entry in tree.skipped}
    for f in tree.files:
        parts = f.path.split("/")
        folders = ("/".join(parts[:i]) for i in range(1, len(parts)))
        folder = next((path for path in folders if exclusions.matches(path)), None)
        if folder is not None:
            detail = f"folder matches {exclusions.pattern_for(folder)!r}"
            skipped.setdefault(folder, SkippedEntry(folder, SkipReason.EXCLUDED, detail))
        elif exclusions.matches(f.path):
            detail = f"matches {exclusions.pattern_for(f.path)!r}"
            skipped[f.path] = SkippedEntry(f.path, SkipReason.EXCLUDED, detail)
        else:
            kept.append(f)
    if len(kept) == len(tree.files):
        return tree
    return replace(tree, files=tuple(kept), skipped=tuple(skipped[k] for k in sorted(skipped)))


def _skipped_folder(
    rel: tuple[str, ...],
    is_dir: bool,
    venvs: set[tuple[str, ...]],
    packages: set[tuple[str, ...]],
    exclusions: Exclusions,
) -> SkippedEntry | None:
    """The outermost skipped folder holding this entry (or being it, for a directory entry)."""
    depth = len(rel) if is_dir else len(rel) - 1
    for i in range(1, depth + 1):
        folder = rel[:i]
        name = folder[-1]
        reason = folder_reason(name)
        if reason is None and folder in venvs:
            reason = SkipReason.VIRTUALENV
        if reason is None and folder not in packages:
            reason = unless_package_reason(name)
        path = "/".join(folder)
        if reason is not None:
            return SkippedEntry(path, reason, "folder")
        if exclusions.matches(path):
            return SkippedEntry(
                path, SkipReason.EXCLUDED, f"folder matches {exclusions.pattern_for(path)!r}"
            )
    return None
