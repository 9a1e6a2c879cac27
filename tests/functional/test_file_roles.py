"""File roles end to end, through the platform (the default) and the direct engine alike:
the quality gate counts product code unless `gate_roles` says otherwise, and the project's
[tool.coderev.roles] override what coderev infers from paths and test markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.functional.conftest import Run, coderev
from tests.functional.test_platform_review import comparable

CODE = '"""The product."""\n\n\ndef total(prices: list[int]) -> int:\n    return sum(prices)\n'
TEST = (
    '"""Tests of the product."""\n\nfrom pkg.core import total\n\n'
    'ADMIN_PASSWORD = "s3cret-fixture"\n\n\n'
    "def test_total() -> None:\n    assert total([1, 2]) == expected\n"  # F821: a real bug
)
CHECKS = "import pytest\n\n\ndef test_it() -> None:\n    assert pytest\n"


def repository(root: Path, pyproject: str = "") -> Path:
    """A tiny product whose findings are all in its tests (an undefined name, a fixture's
    "password"): the product code itself is clean."""
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": CODE,
        "pkg/checks.py": CHECKS,  # a test module outside tests/, known by its markers
        "tests/test_core.py": TEST,
        "tests/helpers.py": CODE,
        "pyproject.toml": '[project]\nname = "pkg"\n' + pyproject,
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def both(repo: Path, out: Path, *args: str) -> tuple[Run, Run]:
    runs = tuple(
        coderev("review", repo, "--out", out / via, "--via", via, *args, out=out / via)
        for via in ("platform", "direct")
    )
    platform, direct = runs
    assert comparable(platform.report()) == comparable(direct.report())  # but for the times
    return platform, direct


def roles(report: dict[str, Any]) -> dict[str, str]:
    return {f["path"]: f["role"] for f in report["files"]}


def test_the_gate_counts_source_findings_by_default(tmp_path: Path) -> None:
    repo = repository(tmp_path / "repo")
    for run in both(repo, tmp_path / "out", "--fail-on", "medium"):
        assert run.code == 0, run.stderr
        report = run.report()
        bug = [f for f in report["findings"] if f["rule_id"] == "F821"]
        assert [(f["path"], f["role"]) for f in bug] == [("tests/test_core.py", "test")]
        assert bug[0]["severity"] in ("medium", "high")
        assert {f["role"] for f in report["findings"]} == {"test"}
        gate = report["summary"]["gate"]
        assert gate == {"spec": "medium", "passed": True, "reasons": [], "roles": ["source"]}
        assert roles(report) == {
            "pkg/__init__.py": "source",
            "pkg/core.py": "source",
            "pkg/checks.py": "test",
            "tests/helpers.py": "test",
            "tests/test_core.py": "test",
        }


def test_configured_gate_roles_and_roles_override_the_defaults(tmp_path: Path) -> None:
    configured = (
        '[tool.coderev]\ngate_roles = ["source", "test"]\n\n'
        '[tool.coderev.roles]\nsource = ["tests/helpers.py", "pkg/checks.py"]\n'
    )
    repo = repository(tmp_path / "repo", configured)
    platform, direct = both(repo, tmp_path / "out", "--fail-on", "medium")
    for run in (platform, direct):
        assert run.code == 1, run.stderr
        gate = run.report()["summary"]["gate"]
        assert gate["roles"] == ["source", "test"]
        assert gate["reasons"] and "F821 x1" in gate["reasons"][0]
        got = roles(run.report())
        assert got["tests/helpers.py"] == got["pkg/checks.py"] == "source"
        assert got["tests/test_core.py"] == "test"
    assert "gate medium (source, test files): FAILED" in " ".join(platform.stderr.split())
