"""Lint and security findings from ruff, filed by the rule catalogue (coderev.rules).

coderev does not re-implement lint rules: it runs the pinned ruff binary on exactly the files
under review and turns each diagnostic into a Finding whose rule_id is ruff's code, whose
fingerprint uses the flagged line's text, and whose `extra["help_uri"]` is ruff's
documentation link. Category and severity are the rule's catalogue entry's (the severity
policy adjusts them for the file's role later, in the review stage); the fix hint is ruff's
own fix message, else the catalogue's vetted suggestion. `run_ruff` runs coderev's own
selection alone (`--isolated`: no configuration file is read); `ruff_project` runs ruff with
the project's own configuration. A file ruff crashes on (`ruff_process`) is reported as a
CR-TOOL-001 finding (`crash_findings`) and has no ruff findings; the other files keep theirs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from coderev.analysis.ruff_process import (
    RuffCrash,
    RuffError,
    find_ruff,
    ruff_check,
    ruff_version,
)
from coderev.domain.errors import InputError
from coderev.domain.findings import Finding, assign_fingerprints, fingerprint
from coderev.rules import rule
from coderev.scratch import make_dir

__all__ = [
    "DEFAULT_IGNORE",
    "DEFAULT_SELECT",
    "RUFF_CRASH",
    "RuffError",
    "UnsafePathError",
    "crash_findings",
    "find_ruff",
    "findings_from",
    "isolated_args",
    "ruff_version",
    "run_ruff",
    "write_private_copy",
]

# What a reviewer wants flagged: real bugs (pyflakes, bugbear, pylint errors/warnings, syntax),
# security (bandit rules), asyncio pitfalls, leftover debuggers and the comparisons/bare
# excepts of pycodestyle's E7. Formatting, naming and modernisation rules are left out: they
# are a formatter's job, not a review's.
DEFAULT_SELECT: tuple[str, ...] = (
    "F", "E9", "E7", "B", "S", "PLE", "PLW", "ASYNC", "T10", "RUF006",
)  # fmt: skip
# `assert` is how tests are written; S101 on every test file is noise. Selecting it explicitly
# brings it back.
DEFAULT_IGNORE: tuple[str, ...] = ("S101",)
# Every run: JSON out, no cache (nothing written beside the code), never a fix (a project's
# `fix = true` would rewrite the copy and hide what it fixed), exit 0 when findings are found.
COMMON_ARGS: tuple[str, ...] = ("--no-cache", "--no-fix", "--output-format", "json", "--exit-zero")
RUFF_CRASH = "CR-TOOL-001"


class UnsafePathError(InputError):
    """A file path would land outside the directory it is written into."""


def _fix_hint(code: str, fix: Any) -> str:
    """ruff's own fix for this diagnostic, else the catalogue's vetted suggestion, else nothing:
    coderev invents no advice for a rule nobody vetted."""
    if isinstance(fix, dict) and fix.get("message"):
        return str(fix["message"])
    return rule(code).suggestion


class _LineText:
    """The flagged line's text per file, decoded once, for fingerprint locators.

    Each line is stripped once and the same string returned for every finding on it: a
    generated line can carry tens of thousands of findings, and one string object keeps
    its hash (assign_fingerprints' lookups) computed once."""

    def __init__(self, sources: Mapping[str, bytes] | None) -> None:
        self.sources = sources or {}
        self.lines: dict[str, list[str]] = {}
        self.stripped: dict[tuple[str, int], str] = {}

    def get(self, path: str, row: int) -> str | None:
        if path not in self.sources:
            return None
        known = self.stripped.get((path, row))
        if known is not None:
            return known
        if path not in self.lines:
            self.lines[path] = self.sources[path].decode("utf-8", "replace").splitlines()
        lines = self.lines[path]
        if not 0 < row <= len(lines):
            return None
        text = self.stripped[(path, row)] = lines[row - 1].strip()
        return text


def isolated_args(
    select: Sequence[str] = DEFAULT_SELECT, ignore: Sequence[str] = DEFAULT_IGNORE
) -> list[str]:
    """`ruff check`'s arguments for `select` minus `ignore` and no configuration file at all.
    An empty `select` means DEFAULT_SELECT."""
    select = select or DEFAULT_SELECT
    args = ["--isolated", *COMMON_ARGS, "--select", ",".join(select)]
    dropped = [code for code in ignore if code not in select]
    if dropped:
        args += ["--ignore", ",".join(dropped)]
    return args


def run_ruff(
    root: Path,
    paths: Sequence[str],
    select: Sequence[str] = DEFAULT_SELECT,
    sources: Mapping[str, bytes] | None = None,
    ignore: Sequence[str] = DEFAULT_IGNORE,
) -> list[Finding]:
    """ruff's findings on `paths` (relative to `root`), sorted by path, line and column, with
    coderev's selection and no configuration file (`isolated_args`).

    `sources` maps those paths to their bytes so each fingerprint can use the flagged line's
    text (stable when lines move); without it the message is the locator. An empty `select`
    (a repository that configures none) means DEFAULT_SELECT.
    """
    if not paths:
        return []
    checked = ruff_check(find_ruff(), root, isolated_args(select, ignore), paths)
    return findings_from(checked.diagnostics, sources) + crash_findings(checked.crashes)


def crash_findings(crashes: Sequence[RuffCrash]) -> list[Finding]:
    """One CR-TOOL-001 finding per file ruff crashed on, sorted by path, with ruff's reason."""
    entry = rule(RUFF_CRASH)
    return [
        Finding(
            rule_id=RUFF_CRASH,
            severity=entry.severity,
            category=entry.category,
            path=crash.path,
            line=1,
            message=f"ruff crashed on this file and did not lint it: {crash.reason}",
            fix_hint=entry.suggestion,
            fingerprint=fingerprint(RUFF_CRASH, crash.path, entry.name),
            extra={"rule_name": entry.name},
        )
        for crash in sorted(crashes, key=lambda crash: crash.path)
    ]


def findings_from(
    diagnostics: Sequence[tuple[str, dict[str, Any]]], sources: Mapping[str, bytes] | None
) -> list[Finding]:
    """ruff's JSON diagnostics (each with its path) as findings, sorted by path, line and
    column; `sources` as for run_ruff."""
    diagnostics = sorted(
        diagnostics,
        key=lambda item: (item[0], item[1]["location"]["row"], item[1]["location"]["column"]),
    )
    text = _LineText(sources)
    triples = []
    for path, d in diagnostics:
        code = d.get("code") or "invalid-syntax"
        locator = text.get(path, d["location"]["row"]) or d.get("message", "")
        triples.append((code, path, locator))
    prints = assign_fingerprints(triples)
    findings: list[Finding] = []
    for (code, path, _), (_, d), fp in zip(triples, diagnostics, prints, strict=True):
        url = d.get("url") or ""
        extra = {"help_uri": url} if url else {}
        if d.get("name"):
            extra["rule_name"] = str(d["name"])
        fix = d.get("fix")
        if isinstance(fix, dict) and fix.get("applicability"):
            extra["fix_applicability"] = str(fix["applicability"]).lower()
        entry = rule(code)
        if entry.forms and (
            form := entry.form_of(d.get("message", ""), text.get(path, d["location"]["row"]))
        ):
            extra["form"] = form.name
        findings.append(
            Finding(
                rule_id=code,
                severity=entry.severity,
                category=entry.category,
                path=path,
                line=d["location"]["row"],
                column=d["location"]["column"],
                end_line=(d.get("end_location") or {}).get("row"),
                message=d.get("message", code),
                fix_hint=_fix_hint(code, fix),
                fingerprint=fp,
                source="ruff",
                extra=extra,
            )
        )
    return findings


@contextlib.contextmanager
def _private_copy(files: Mapping[str, bytes]) -> Iterator[Path]:
    """Every name is checked as a pure path (_safe_name); nothing is resolved on disk: the
    directory is fresh, private and filled only by this function (O_EXCL, O_NOFOLLOW), so no
    symlink can be in the way. A shard's copy holds thousands of placeholder files, so the
    per-file cost is a few syscalls, and each folder is made once."""
    root = make_dir("ruff", memory=True)  # in memory where it can be; see coderev.scratch
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    made: set[str] = {""}
    try:
        os.chmod(root, 0o700)
        for name, data in files.items():
            folder, _sep, _file = _safe_name(name).rpartition("/")
            if folder not in made:
                os.makedirs(root / folder, mode=0o700, exist_ok=True)
                made.add(folder)
            fd = os.open(root / name, flags, 0o600)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _safe_name(name: str) -> str:
    pure = PurePosixPath(name)
    if (not name or "\0" in name or "\\" in name or pure.is_absolute() or ".." in pure.parts
            or str(pure) != name or name.endswith("/")):  # fmt: skip
        raise UnsafePathError(f"refusing to write {name!r}: not a plain relative path")
    return name


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_private_copy(files: Mapping[str, bytes]) -> contextlib.AbstractContextManager[Path]:
    """A fresh private (0700) temp dir holding exactly `files`, removed on exit.

    Raises UnsafePathError for a path that is absolute, has `..`, or would escape the dir.
    """
    return _private_copy(files)
