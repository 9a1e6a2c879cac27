"""The code under review, as read (safely, in memory) from a directory or an archive."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SkipReason(StrEnum):
    VCS = "vcs-folder"
    VIRTUALENV = "virtualenv"
    NODE_MODULES = "node_modules"
    BUILD_OUTPUT = "build-output"
    CACHE = "cache-folder"
    BINARY = "binary-file"
    MINIFIED = "minified-file"
    TOO_LARGE = "file-too-large"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    DEVICE = "device-or-special"
    ABSOLUTE_PATH = "absolute-path"
    PATH_TRAVERSAL = "path-traversal"
    UNSUPPORTED_LANGUAGE = "unsupported-language"
    DECODE_ERROR = "not-utf8"
    EXCLUDED = "excluded-by-config"
    ENCRYPTED = "encrypted"
    PATH_CLASH = "path-clash"  # a file named like a folder of other files in the same archive
    PATH_TOO_LONG = "path-too-long"  # a name no file system holds (see analysis.skipping)


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # POSIX, relative to the tree root, never absolute, never containing ".."
    data: bytes
    language: str  # "python", "javascript", ... or "other"


@dataclass(frozen=True, slots=True)
class SkippedEntry:
    path: str  # as named in the archive/directory (sanitised for display)
    reason: SkipReason
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SourceTree:
    name: str  # directory or archive name, for the report
    files: tuple[SourceFile, ...]
    skipped: tuple[SkippedEntry, ...]
    config_files: tuple[
        SourceFile, ...
    ] = ()  # pyproject.toml, .coderev.toml, setup.cfg, .importlinter
    # Every TOML file of the tree, at any depth: where ruff's configuration may live
    # (pyproject.toml, ruff.toml, .ruff.toml and whatever their `extend` names). Never reviewed.
    toml_files: tuple[SourceFile, ...] = ()

    def python_files(self) -> tuple[SourceFile, ...]:
        return tuple(f for f in self.files if f.language == "python")
