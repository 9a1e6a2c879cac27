"""The reviewed project's own ruff configuration, found and checked before ruff may read it.

ruff finds its settings as on a developer's machine: for each file, the closest folder above
it holding `.ruff.toml`, `ruff.toml` or a `pyproject.toml` with a `[tool.ruff]` table (in
that order of preference), and a settings file may `extend` another one. coderev copies those
files into the private copy ruff runs on, at their relative paths, after checking each one:

- it parses as TOML (ruff refuses to run at all when a settings file on a file's way up does
  not, so every pyproject.toml is checked, with or without `[tool.ruff]`);
- every `extend` along its chain names, by a plain relative path, a TOML file of the tree: no
  absolute path, no `~` or `$VARIABLE` (ruff expands both), no `..` leaving the tree, no
  cycle.

A file that fails is left out of the copy with a warning, so the files it governed fall back
to the next settings file up the tree, else to coderev's own selection; ruff never sees it,
so a hostile configuration cannot make ruff read the host's files. The checks are by hand
because they are about paths only; what the settings mean is left to ruff itself.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SETTINGS_NAMES", "ProjectRuffConfig", "RuffSettingsFile", "find_ruff_configs"]

SETTINGS_NAMES = (".ruff.toml", "ruff.toml", "pyproject.toml")  # ruff's order in one folder
_RULE_KEYS = ("select", "extend-select", "ignore", "extend-ignore")
_DRIVE = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True, slots=True)
class RuffSettingsFile:
    """A settings file ruff will use, with what its whole `extend` chain says about rules."""

    path: str  # relative to the tree's root
    extends: tuple[str, ...]  # the chain's files, nearest first
    selected: tuple[str, ...]  # selectors in select / extend-select anywhere along the chain
    ignored: tuple[str, ...]  # selectors in ignore / extend-ignore anywhere along the chain
    replaces_defaults: bool = False  # some link sets `select` (not only `extend-select`)


@dataclass(frozen=True, slots=True)
class ProjectRuffConfig:
    settings: Mapping[str, RuffSettingsFile]  # by folder ("" is the tree's root)
    files: Mapping[str, bytes]  # what ruff may read: checked settings files, what they extend
    warnings: tuple[str, ...]  # files left out, and why

    def governing(self, path: str) -> RuffSettingsFile | None:
        """The settings file ruff uses for `path`: the closest one in a folder above it."""
        folder = posixpath.dirname(path)
        while True:
            if folder in self.settings:
                return self.settings[folder]
            if not folder:
                return None
            folder = posixpath.dirname(folder)


class _Unusable(Exception):
    """A configuration file coderev will not hand to ruff; the message says why."""


def find_ruff_configs(tomls: Mapping[str, bytes]) -> ProjectRuffConfig:
    """The ruff settings files among a tree's TOML files (path -> bytes), checked."""
    warnings: list[str] = []
    parsed: dict[str, dict[str, Any]] = {}
    files: dict[str, bytes] = {}
    for path in sorted(tomls):
        if posixpath.basename(path) in SETTINGS_NAMES:
            try:
                parsed[path] = _parse(path, tomls[path])
            except _Unusable as exc:
                warnings.append(f"{path} left out: {exc}")
    settings: dict[str, RuffSettingsFile] = {}
    for path, document in list(parsed.items()):
        if _ruff_table(path, document) is None:
            files[path] = tomls[path]  # no ruff settings; ruff may read its requires-python
            continue
        try:
            found, chain = _resolve(path, tomls, parsed)
        except _Unusable as exc:
            warnings.append(f"{path} left out: {exc}")
            continue
        files.update((p, tomls[p]) for p in chain)
        folder = posixpath.dirname(path)
        chosen = settings.get(folder)
        if chosen is None or _rank(path) < _rank(chosen.path):
            settings[folder] = found
    return ProjectRuffConfig(settings, files, tuple(warnings))


def _rank(path: str) -> int:
    return SETTINGS_NAMES.index(posixpath.basename(path))


def _parse(path: str, data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise _Unusable("not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise _Unusable(f"not valid TOML ({exc})") from None


def _resolve(
    path: str, tomls: Mapping[str, bytes], parsed: dict[str, dict[str, Any]]
) -> tuple[RuffSettingsFile, list[str]]:
    """The settings file at `path` with its `extend` chain followed; every file of the chain."""
    chain = [path]
    selected: list[str] = []
    ignored: list[str] = []
    replaces = False
    current = path
    while True:
        if current not in parsed:
            try:
                parsed[current] = _parse(current, tomls[current])
            except _Unusable as exc:
                raise _Unusable(f"it extends {current}, which is {exc}") from None
        table = _ruff_table(current, parsed[current]) or {}
        for key in _RULE_KEYS:
            for where in (table, table.get("lint")):
                if isinstance(where, dict) and isinstance(where.get(key), list):
                    named = [s for s in where[key] if isinstance(s, str)]
                    (selected if key.endswith("select") else ignored).extend(named)
                    replaces = replaces or key == "select"
        extend = table.get("extend")
        if extend is None:
            break
        target = _extend_target(current, extend, tomls)
        if target in chain:
            raise _Unusable(f"its `extend` chain is circular ({' -> '.join([*chain, target])})")
        chain.append(target)
        current = target
    found = RuffSettingsFile(path, tuple(chain[1:]), tuple(selected), tuple(ignored), replaces)
    return found, chain


def _ruff_table(path: str, document: dict[str, Any]) -> dict[str, Any] | None:
    """ruff's settings in a parsed file: a pyproject.toml's `[tool.ruff]` (None without one),
    a ruff.toml's whole document."""
    if posixpath.basename(path) != "pyproject.toml":
        return document
    tool = document.get("tool")
    table = tool.get("ruff") if isinstance(tool, dict) else None
    return table if isinstance(table, dict) else None


def _extend_target(path: str, extend: object, tomls: Mapping[str, bytes]) -> str:
    """The tree path `extend` (in the file at `path`) names, or _Unusable."""
    if not isinstance(extend, str) or not extend.strip():
        raise _Unusable("`extend` is not a file name")
    if extend.startswith(("/", "~")) or _DRIVE.match(extend) or "$" in extend or "\\" in extend:
        raise _Unusable(f"`extend = {extend!r}` is not a path relative to the project")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), extend))
    if target == ".." or target.startswith("../"):
        raise _Unusable(f"`extend = {extend!r}` leaves the reviewed tree")
    if target not in tomls:
        raise _Unusable(f"`extend = {extend!r}`: {target} is not a TOML file of the tree")
    return target
