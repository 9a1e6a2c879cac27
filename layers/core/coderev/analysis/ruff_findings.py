"""Lint and security findings from ruff, mapped onto coderev's categories and severities.

coderev does not re-implement lint rules: it runs the pinned ruff binary on exactly the files
under review (`--isolated`, so the reviewed repository's own ruff configuration cannot switch
rules off or point ruff at other files), and turns each diagnostic into a Finding whose
rule_id is ruff's code, whose fingerprint uses the flagged line's text, and whose
`extra["help_uri"]` is ruff's documentation link.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

from coderev.domain.errors import CoderevError, InputError
from coderev.domain.findings import Category, Finding, Severity, assign_fingerprints

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

_HIGH = frozenset(
    {
        "S102", "S105", "S106", "S107", "S301", "S302", "S307", "S501", "S506", "S602", "S604",
        "S605", "S608", "S701", "S702", "F821", "F822", "F823", "E902", "invalid-syntax",
    }
)  # fmt: skip
_LOW = frozenset(
    {
        "F401", "F403", "F405", "F541", "F841", "F811", "S110", "S112", "S311", "S403", "S404",
        "S603", "S607", "B007", "B018", "B905", "E701", "E702", "E703", "E731", "E741",
    }
)  # fmt: skip
_HINTS = {
    "S102": "Do not exec built strings; call the code directly or dispatch through a dict.",
    "S105": "Read the secret from the environment or a secret store instead of the source.",
    "S106": "Read the secret from the environment or a secret store instead of the source.",
    "S107": "Read the secret from the environment or a secret store instead of a default.",
    "S301": "Never unpickle untrusted data; use json or a schema-validated format.",
    "S307": "Use ast.literal_eval for literals, or map allowed inputs to functions explicitly.",
    "S506": "Use yaml.safe_load.",
    "S602": "Pass the command as a list and drop shell=True; shlex.quote anything user-controlled.",
    "S605": "Use subprocess.run with an argument list instead of a shell string.",
    "S608": "Use parameterized queries: cursor.execute(sql, params), never string formatting.",
    "F821": "Define or import the name; it raises NameError when this line runs.",
    "invalid-syntax": "Fix the syntax error; ruff cannot check the rest of this file.",
}
_PREFIX_HINTS = (
    ("S", "Review this security-sensitive call; see the rule's documentation for safe use."),
    (
        "F",
        "Remove or fix the flagged name/import; pyflakes found it unused, undefined or shadowed.",
    ),
    ("B", "Likely bug: see the rule's documentation for the correct idiom."),
    ("PLE", "This raises or misbehaves at runtime; fix the flagged construct."),
    ("PLW", "Check the flagged construct; it usually does not do what it seems to."),
    ("ASYNC", "Do not block the event loop: use the async variant or run it in a thread."),
    ("T10", "Remove the debugger call before merging."),
    ("E9", "Fix the syntax error; nothing else in the file can be checked until then."),
)
_BATCH_CHARS = 60_000  # well under any OS's argument-length limit


class RuffError(CoderevError):
    """ruff could not be found, or failed (not: found problems)."""


class UnsafePathError(InputError):
    """A file path would land outside the directory it is written into."""


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


def category_of(code: str) -> Category:
    if code.startswith("S"):
        return Category.SECURITY
    if code in ("E722", "invalid-syntax") or code.startswith(
        ("F", "B", "E9", "PLE", "PLW", "ASYNC", "T10", "RUF006")
    ):
        return Category.BUG_RISK
    if code.startswith(("C90", "PLR")):
        return Category.MAINTAINABILITY
    return Category.STYLE


def severity_of(code: str) -> Severity:
    if code in _HIGH or code.startswith(("E9", "PLE")):
        return Severity.HIGH
    if code in _LOW:
        return Severity.LOW
    if code.startswith(("S", "B", "F", "PLW", "ASYNC", "T10", "RUF006", "E722")):
        return Severity.MEDIUM
    return Severity.LOW


def _hint(code: str, fix: Any, url: str) -> str:
    if isinstance(fix, dict) and fix.get("message"):
        return str(fix["message"])
    if code in _HINTS:
        return _HINTS[code]
    for prefix, hint in _PREFIX_HINTS:
        if code.startswith(prefix):
            return hint
    return f"See {url}." if url else "See ruff's documentation for this rule."


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


def _run(binary: str, root: Path, args: list[str], batch: list[str]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [binary, "check", *args, "--", *batch], cwd=root, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise RuffError(
            f"ruff failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[:500]}"
        )
    out: list[dict[str, Any]] = json.loads(proc.stdout or b"[]")
    return out


def _relative(root: Path, filename: str) -> str:
    """ruff's absolute file name, relative to root (which may be reached through a symlink)."""
    rel = ""
    for base in (root.absolute(), root.resolve()):
        rel = Path(os.path.relpath(filename, base)).as_posix()
        if not rel.startswith("../"):
            break
    return rel


class _LineText:
    """The flagged line's text per file, decoded once, for fingerprint locators."""

    def __init__(self, sources: Mapping[str, bytes] | None) -> None:
        self.sources = sources or {}
        self.lines: dict[str, list[str]] = {}

    def get(self, path: str, row: int) -> str | None:
        if path not in self.sources:
            return None
        if path not in self.lines:
            self.lines[path] = self.sources[path].decode("utf-8", "replace").splitlines()
        lines = self.lines[path]
        return lines[row - 1].strip() if 0 < row <= len(lines) else None


def run_ruff(
    root: Path,
    paths: Sequence[str],
    select: Sequence[str] = DEFAULT_SELECT,
    sources: Mapping[str, bytes] | None = None,
    ignore: Sequence[str] = DEFAULT_IGNORE,
) -> list[Finding]:
    """ruff's findings on `paths` (relative to `root`), sorted by path, line and column.

    `sources` maps those paths to their bytes so each fingerprint can use the flagged line's
    text (stable when lines move); without it the message is the locator. An empty `select`
    (a repository that configures none) means DEFAULT_SELECT.
    """
    if not paths:
        return []
    select = select or DEFAULT_SELECT
    binary = find_ruff()
    args = ["--isolated", "--no-cache", "--output-format", "json", "--exit-zero"]
    args += ["--select", ",".join(select)]
    dropped = [code for code in ignore if code not in select]
    if dropped:
        args += ["--ignore", ",".join(dropped)]
    diagnostics: list[tuple[str, dict[str, Any]]] = []
    for batch in _batches(paths):
        for d in _run(binary, root, args, batch):
            diagnostics.append((_relative(root, d["filename"]), d))
    diagnostics.sort(
        key=lambda item: (item[0], item[1]["location"]["row"], item[1]["location"]["column"])
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
        findings.append(
            Finding(
                rule_id=code,
                severity=severity_of(code),
                category=category_of(code),
                path=path,
                line=d["location"]["row"],
                column=d["location"]["column"],
                end_line=(d.get("end_location") or {}).get("row"),
                message=d.get("message", code),
                fix_hint=_hint(code, d.get("fix"), url),
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
    root = Path(tempfile.mkdtemp(prefix="coderev-ruff-")).resolve()  # mode 0700
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
