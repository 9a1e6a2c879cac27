"""A contract coderev cannot check (a custom import-linter contract class) never disappears: it is
listed in the terminal and in every report format, and `--fail-on architecture` fails on it
unless `--allow-unsupported-contracts`, on the platform (default) and with `--via direct`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

IMPORTLINTER = """
[importlinter]
root_package = tiny
contract_types =
    no_print: tiny_lint.NoPrintContract

[importlinter:contract:protected]
name = Core is protected
type = protected
protected_modules = tiny.core
allowed_importers = tiny.api
broken_contract_guidance = Go through tiny.api.

[importlinter:contract:custom]
name = No print calls
type = no_print
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "tiny-repo"
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "__init__.py").write_text("")
    (root / "tiny" / "core.py").write_text("VALUE = 1\n")
    (root / "tiny" / "api.py").write_text("from tiny.core import VALUE\n\nANSWER = VALUE\n")
    (root / ".importlinter").write_text(IMPORTLINTER)
    return root


@pytest.mark.parametrize("via", ["platform", "direct"])
def test_unsupported_contract_is_listed_everywhere_and_fails_the_architecture_gate(
    cli: Any, repo: Path, tmp_path: Path, via: str
) -> None:
    out = tmp_path / "gate"
    run = cli("review", repo, "--out", out, "--fail-on", "architecture", "--via", via, out=out)
    assert run.code == 1, run.stderr
    assert "not checked" in run.stderr and "No print calls" in run.stderr

    report = run.report()
    listed = report["architecture"]["contracts_unsupported"]
    assert [(u["name"], u["type"]) for u in listed] == [("No print calls", "no_print")]
    assert "tiny_lint.NoPrintContract" in listed[0]["reason"]
    assert report["architecture"]["contracts_checked"] == ["Core is protected"]
    assert report["architecture"]["violations"] == []  # the protected contract is kept
    gate = report["summary"]["gate"]
    assert gate["passed"] is False
    assert any("not checked" in r and "No print calls" in r for r in gate["reasons"])

    markdown = (out / "report.md").read_text()
    assert "not checked" in markdown and "No print calls" in markdown
    html = (out / "report.html").read_text()
    assert "Contracts not checked (1)" in html and "No print calls" in html
    sarif = json.loads((out / "report.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert [n["properties"]["contract"] for n in notes] == ["No print calls"]
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        ".importlinter"
    )


@pytest.mark.parametrize("via", ["platform", "direct"])
def test_allowing_unsupported_contracts_passes_the_gate_and_still_lists_them(
    cli: Any, repo: Path, tmp_path: Path, via: str
) -> None:
    out = tmp_path / "allowed"
    run = cli(
        "review", repo, "--out", out, "--fail-on", "architecture", "--via", via,
        "--allow-unsupported-contracts", "--quiet", out=out,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    assert "not checked" in run.stderr  # even --quiet says so
    report = run.report()
    assert report["summary"]["gate"]["passed"] is True
    assert [u["name"] for u in report["architecture"]["contracts_unsupported"]] == [
        "No print calls"
    ]


def test_a_broken_protected_contract_fails_the_gate_like_any_other(
    cli: Any, repo: Path, tmp_path: Path
) -> None:
    (repo / "tiny" / "jobs.py").write_text("import tiny.core\n")
    out = tmp_path / "broken"
    run = cli(
        "review", repo, "--out", out, "--fail-on", "architecture", "--via", "direct",
        "--allow-unsupported-contracts", out=out,
    )  # fmt: skip
    assert run.code == 1
    report = run.report()
    violations = report["architecture"]["violations"]
    assert [(v["contract_type"], v["importer"], v["imported"]) for v in violations] == [
        ("protected", "tiny.jobs", "tiny.core")
    ]
    assert violations[0]["guidance"] == "Go through tiny.api."
    [finding] = [f for f in report["findings"] if f["rule_id"] == "CR-ARCH-001"]
    assert finding["fix_hint"].endswith("The contract says: Go through tiny.api.")

    # the report, new contract types and all, is a valid baseline for the next review
    again = cli(
        "review", repo, "--out", tmp_path / "again", "--via", "direct",
        "--baseline", out / "report.json", "--fail-on", "new-architecture",
        "--allow-unsupported-contracts", out=tmp_path / "again",
    )  # fmt: skip
    assert again.code == 0, again.stderr
    assert {f["status"] for f in again.report()["findings"]} == {"existing"}


def test_a_stale_ignore_line_is_listed_and_fails_the_architecture_gate(
    cli: Any, repo: Path, tmp_path: Path
) -> None:
    config = (repo / ".importlinter").read_text().replace(
        "allowed_importers = tiny.api\n",
        "allowed_importers = tiny.api\nignore_imports = tiny.core -> tiny.api\n",
    )
    (repo / ".importlinter").write_text(config)
    out = tmp_path / "stale"
    run = cli(
        "review", repo, "--out", out, "--fail-on", "architecture", "--via", "direct",
        "--allow-unsupported-contracts", "--quiet", out=out,
    )  # fmt: skip
    assert run.code == 1
    assert "ignore_imports line 'tiny.core -> tiny.api' matches no import" in run.stderr
    report = run.report()
    [warning] = report["architecture"]["contract_warnings"]
    assert (warning["contract"], warning["level"]) == ("Core is protected", "error")
    assert "matches no import" in (out / "report.md").read_text()
    assert "Contract warnings (1)" in (out / "report.html").read_text()
