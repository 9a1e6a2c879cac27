"""Language detection: by extension, by conventional name, by shebang; "other" for the rest."""

from __future__ import annotations

import pytest

from coderev.analysis.languages import (
    OTHER,
    detect_language,
    language_for_name,
    language_from_shebang,
    needs_shebang,
)


@pytest.mark.parametrize(("path", "language"), [
    ("pkg/mod.py", "python"), ("stubs/mod.pyi", "python"), ("APP.PY", "python"),
    ("web/app.js", "javascript"), ("web/app.mjs", "javascript"), ("ui/App.jsx", "javascript"),
    ("ui/App.tsx", "typescript"), ("src/index.ts", "typescript"),
    ("cmd/main.go", "go"), ("src/Main.java", "java"), ("lib/x.rb", "ruby"),
    ("src/lib.rs", "rust"), ("src/x.c", "c"), ("include/x.h", "c"), ("src/x.cpp", "cpp"),
    ("src/x.hpp", "cpp"), ("App.cs", "csharp"), ("index.php", "php"), ("Main.kt", "kotlin"),
    ("build.gradle.kts", "kotlin"), ("App.swift", "swift"), ("run.sh", "shell"),
    ("static/site.css", "css"), ("Rakefile", "ruby"),
    ("README.md", OTHER), ("logo.png", OTHER), ("data.json", OTHER), ("pyproject.toml", OTHER),
    ("archive.tar.gz", OTHER), ("Makefile", OTHER), (".bashrc", OTHER), ("mod.py.orig", OTHER),
])
def test_language_from_the_name(path: str, language: str) -> None:
    assert language_for_name(path) == language


@pytest.mark.parametrize(("line", "language"), [
    (b"#!/usr/bin/env python3\n", "python"),
    (b"#!/usr/bin/python3.12 -u\n", "python"),
    (b"#! /usr/bin/env -S python3 -X dev\n", "python"),
    (b"#!/usr/bin/env PYTHONPATH=. python\n", "python"),
    (b"#!/bin/bash -e\n", "shell"),
    (b"#!/bin/sh\n", "shell"),
    (b"#!/usr/bin/env node\n", "javascript"),
    (b"#!/usr/bin/env ruby\n", "ruby"),
    (b"#!/usr/bin/perl -w\n", "perl"),
    (b"#!/usr/bin/env\n", OTHER),
    (b"#!\n", OTHER),
    (b"#!/usr/bin/awk -f\n", OTHER),
    (b"# just a comment\n", OTHER),
    (b"\x7fELF\x02\x01", OTHER),
])
def test_language_from_a_shebang(line: bytes, language: str) -> None:
    assert language_from_shebang(line) == language


def test_only_extension_less_files_consult_their_first_line() -> None:
    assert needs_shebang("bin/tool") and needs_shebang(".envrc")
    assert not needs_shebang("bin/tool.txt") and not needs_shebang("Rakefile")
    assert detect_language("bin/tool", b"#!/usr/bin/env python3\nprint(1)\n") == "python"
    assert detect_language("notes.txt", b"#!/usr/bin/env python3\n") == OTHER
    assert detect_language("bin/tool", b"no shebang here\n") == OTHER
    assert detect_language("app.py", b"#!/bin/sh\n") == "python"
