"""Builders of domain objects for the review room's tests (a `build` fixture)."""

from __future__ import annotations

from typing import Any

import pytest

from coderev.domain.architecture import ArchitectureResult, ModuleNode
from coderev.domain.findings import Category, Finding, FindingStatus, Severity, fingerprint
from coderev.domain.metrics import FileMetrics, FunctionMetrics, SourceFileInfo
from coderev.domain.roles import FileRole
from coderev.review.reviewer import ReviewInput


class Build:
    """Domain objects with sensible defaults; tests override what they are about."""

    @staticmethod
    def finding(
        rule_id: str = "E501",
        path: str = "pkg/mod.py",
        line: int = 1,
        severity: Severity = Severity.LOW,
        category: Category = Category.STYLE,
        message: str = "",
        fix_hint: str = "",
        status: FindingStatus = FindingStatus.NEW,
        locator: str | None = None,
        role: FileRole = FileRole.SOURCE,
        **extra: str,
    ) -> Finding:
        return Finding(
            rule_id=rule_id, severity=severity, category=category, path=path, line=line,
            message=message or f"{rule_id} at line {line}", fix_hint=fix_hint,
            fingerprint=fingerprint(rule_id, path, locator or f"{rule_id}:{line}"),
            status=status, role=role, extra=dict(extra),
        )

    @staticmethod
    def function(
        qualname: str, line: int, end_line: int, complexity: int = 2, parameters: int = 1,
        nesting: int = 1, optional_positional: int = 0, flat_nesting: int | None = None,
        guard_lines: tuple[int, ...] = (),
    ) -> FunctionMetrics:
        return FunctionMetrics(
            name=qualname.rpartition(".")[2], qualname=qualname, line=line, end_line=end_line,
            complexity=complexity, length=end_line - line + 1, parameters=parameters,
            nesting=nesting, optional_positional=optional_positional,
            flat_nesting=flat_nesting, guard_lines=guard_lines,
        )

    @staticmethod
    def file_info(
        path: str, complexity: int = 1, functions: tuple[FunctionMetrics, ...] = (),
        role: FileRole = FileRole.SOURCE,
    ) -> SourceFileInfo:
        metrics = FileMetrics(
            loc=100, sloc=80, lloc=70, comments=5, multi=0, blank=15,
            maintainability_index=60.0, complexity=complexity, functions=functions,
        )
        return SourceFileInfo(
            path=path, language="python", size=1000, metrics=metrics, role=role
        )

    @staticmethod
    def architecture(**kwargs: Any) -> ArchitectureResult:
        fields: dict[str, Any] = {
            "root_packages": ("pkg",),
            "modules": (
                ModuleNode("pkg", "pkg/__init__.py", True),
                ModuleNode("pkg.mod", "pkg/mod.py", False),
            ),
            "imports": (), "cycles": (), "violations": (), "package_metrics": (),
        }
        fields.update(kwargs)
        return ArchitectureResult(**fields)

    @staticmethod
    def subject(findings: list[Finding] | tuple[Finding, ...] = (), **kwargs: Any) -> ReviewInput:
        fields: dict[str, Any] = {
            "source": "pkg-1.0", "findings": tuple(findings), "files": (),
            "architecture": Build.architecture(),
        }
        fields.update(kwargs)
        return ReviewInput(**fields)


@pytest.fixture
def build() -> type[Build]:
    return Build
