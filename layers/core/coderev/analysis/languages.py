"""Which language a file is written in, from its name, or from its shebang line when it has none.

The answer decides whether a file is source at all: files whose language is "other" (docs,
images, data, lock files) are not reviewed and are not listed anywhere. Detection is by name
only, never by content sniffing beyond the first line of an extension-less file, so it costs
nothing per file; `needs_shebang()` tells the reader when that first line is worth fetching.
"""

from __future__ import annotations

import re

OTHER = "other"

_BY_EXTENSION: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".go": "go",
    ".java": "java",
    ".rb": "ruby",
    ".rake": "ruby",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".cs": "csharp",
    ".php": "php",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".swift": "swift",
    ".scala": "scala",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".pl": "perl",
    ".pm": "perl",
    ".lua": "lua",
    ".css": "css",
}

# Extension-less files that are source by convention, so no shebang is needed.
_BY_NAME: dict[str, str] = {
    "Rakefile": "ruby",
    "Gemfile": "ruby",
    "SConstruct": "python",
    "SConscript": "python",
}

# Interpreter names in a shebang line, after stripping versions (python3.12 -> python).
_BY_INTERPRETER: dict[str, str] = {
    "python": "python",
    "pypy": "python",
    "node": "javascript",
    "nodejs": "javascript",
    "deno": "typescript",
    "ts-node": "typescript",
    "ruby": "ruby",
    "php": "php",
    "perl": "perl",
    "lua": "lua",
    "sh": "shell",
    "bash": "shell",
    "zsh": "shell",
    "ksh": "shell",
    "dash": "shell",
    "ash": "shell",
    "mksh": "shell",
}

_VERSION_SUFFIX = re.compile(r"[0-9.]+$")
SHEBANG_BYTES = 256  # how much of an extension-less file `language_from_shebang` looks at


def _extension(name: str) -> str:
    """The lower-cased suffix of the last path component ("" for `Makefile` or `.bashrc`)."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def language_for_name(path: str) -> str:
    """The language of a file from its path alone: "python", ..., or "other"."""
    name = path.rpartition("/")[2]
    return _BY_EXTENSION.get(_extension(name)) or _BY_NAME.get(name) or OTHER


def needs_shebang(path: str) -> bool:
    """True when only the first line can tell: the file has no extension and no known name."""
    name = path.rpartition("/")[2]
    return _extension(name) == "" and name not in _BY_NAME


def language_from_shebang(head: bytes) -> str:
    """The language named by a `#!` line (`#!/usr/bin/env -S python3 -u` -> "python")."""
    if not head.startswith(b"#!"):
        return OTHER
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace")
    words = line.split()
    if not words:
        return OTHER
    program = words[0].rpartition("/")[2]
    if program == "env":
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        if not rest:
            return OTHER
        program = rest[0].rpartition("/")[2]
    program = _VERSION_SUFFIX.sub("", program) or program
    return _BY_INTERPRETER.get(program, OTHER)


def detect_language(path: str, head: bytes = b"") -> str:
    """The language of a file from its name, falling back to `head` (its first bytes)."""
    language = language_for_name(path)
    if language == OTHER and needs_shebang(path):
        return language_from_shebang(head)
    return language
