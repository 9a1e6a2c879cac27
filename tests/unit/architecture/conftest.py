"""Test-only stand-in for the analysis room: FileAnalysis built from source with one ast.parse.

The architecture room depends only on FileAnalysis's RawImport / ClassInfo / FunctionMetrics, so
these tests build them directly rather than through coderev.analysis.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from coderev.domain.architecture import ImportKind
from coderev.domain.code import ClassInfo, FileAnalysis, RawImport
from coderev.domain.metrics import FileMetrics, FunctionMetrics

Files = Mapping[str, str]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.imports: list[RawImport] = []
        self.classes: list[ClassInfo] = []
        self.functions: list[FunctionMetrics] = []
        self._scope: list[str] = []
        self._tc = 0
        self._functions = 0

    def _kind(self) -> ImportKind:
        if self._tc:
            return ImportKind.TYPE_CHECKING
        return ImportKind.DEFERRED if self._functions else ImportKind.IMPORT_TIME

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._tc += 1
            for child in node.body:
                self.visit(child)
            self._tc -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.imports.append(RawImport(alias.name, (), 0, node.lineno, False, self._kind()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = tuple(a.name for a in node.names)
        self.imports.append(
            RawImport(node.module or "", names, node.level, node.lineno, True, self._kind())
        )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = tuple(ast.unparse(b) for b in node.bases)
        abstract = any(b.split(".")[-1] in ("ABC", "Protocol") for b in bases) or any(
            isinstance(d, ast.Name) and d.id == "abstractmethod"
            for item in node.body
            if isinstance(item, ast.FunctionDef)
            for d in item.decorator_list
        )
        qual = ".".join([*self._scope, node.name])
        self.classes.append(ClassInfo(node.name, qual, node.lineno, bases, abstract))
        self._scope.append(node.name)
        self.generic_visit(node)
        self._scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        qual = ".".join([*self._scope, node.name])
        end = node.end_lineno or node.lineno
        self.functions.append(
            FunctionMetrics(
                node.name,
                qual,
                node.lineno,
                end,
                1,
                end - node.lineno + 1,
                len(node.args.args),
                0,
                is_method=bool(self._scope),
            )
        )
        self._scope.append(node.name)
        self._functions += 1
        self.generic_visit(node)
        self._functions -= 1
        self._scope.pop()


def analyse_source(path: str, source: str) -> FileAnalysis:
    collector = _Collector()
    collector.visit(ast.parse(source))
    metrics = FileMetrics(0, 0, 0, 0, 0, 0, 100.0, 1, tuple(collector.functions))
    return FileAnalysis(
        path, "python", len(source), metrics, tuple(collector.imports), tuple(collector.classes), ()
    )


def analyse_files(files: Files) -> list[FileAnalysis]:
    return [analyse_source(path, source) for path, source in sorted(files.items())]


def analyse_directory(root: Path, under: str) -> list[FileAnalysis]:
    """FileAnalysis for every .py/.pyi file below root/under, paths relative to root."""
    out = []
    for p in sorted((root / under).rglob("*.py*")):
        if p.suffix in (".py", ".pyi"):
            text = p.read_text(encoding="utf-8", errors="replace")
            try:
                out.append(analyse_source(p.relative_to(root).as_posix(), text))
            except SyntaxError:
                continue
    return out


@pytest.fixture
def analyse() -> Callable[[Files], list[FileAnalysis]]:
    return analyse_files


@pytest.fixture
def analyse_dir() -> Callable[[Path, str], list[FileAnalysis]]:
    return analyse_directory
