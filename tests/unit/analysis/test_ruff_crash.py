"""A file ruff crashes on costs only that file: it becomes a CR-TOOL-001 finding with ruff's
reason, every other file keeps its ruff findings, in both lint modes and both engines' entry
point (`lint_python`), and the retries stay few (bisection, not one run per file)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coderev.analysis import ruff_process
from coderev.analysis.ruff_findings import RUFF_CRASH, run_ruff
from coderev.analysis.ruff_process import RuffError, find_ruff, ruff_check
from coderev.analysis.ruff_project import lint_python
from coderev.domain.lint import LintConfigMode
from coderev.rules import rule

# Each aborts ruff 0.15's whole process ("has overflowed its stack", SIGABRT).
HOSTILE: dict[str, Callable[[], bytes]] = {
    "brackets": lambda: b"x = " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
    "plus_chain": lambda: b"x = " + b"+".join([b"a"] * 100_000) + b"\n",
    "attribute_chain": lambda: b"x = a" + b".b" * 60_000 + b"\n",
    "call_chain": lambda: b"x = f" + b"()" * 60_000 + b"\n",
    "unary_minus": lambda: b"x = " + b"-" * 50_000 + b"1\n",
    "not_chain": lambda: b"x = " + b"not " * 20_000 + b"a\n",
}
GOOD = b'import os\n\n\ndef run(text):\n    return eval(text)\n'


def _tree(hostile: dict[str, bytes], good: int = 12) -> dict[str, bytes]:
    files = {f"pkg/good_{i:02}.py": GOOD for i in range(good)}
    files.update((f"pkg/{name}.py", data) for name, data in hostile.items())
    return files


@pytest.fixture
def ruff_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many files each `ruff check` process was given."""
    runs: list[int] = []
    real = subprocess.run

    def counting(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        if "check" in args and "--show-settings" not in args and "--" in args:
            runs.append(len(args) - args.index("--") - 1)
        return real(args, **kwargs)

    monkeypatch.setattr(ruff_process.subprocess, "run", counting)
    return runs


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_each_pathological_class_is_one_finding_not_a_failure(name: str, tmp_path: Path) -> None:
    data = HOSTILE[name]()
    (tmp_path / "bad.py").write_bytes(data)
    (tmp_path / "good.py").write_bytes(GOOD)
    findings = run_ruff(tmp_path, ["bad.py", "good.py"], sources={"good.py": GOOD})
    crash = [f for f in findings if f.path == "bad.py"]
    assert [f.rule_id for f in crash] == [RUFF_CRASH]
    assert "stack overflow" in crash[0].message and "SIGABRT" in crash[0].message
    assert str(tmp_path) not in crash[0].message
    assert {f.rule_id for f in findings if f.path == "good.py"} == {"F401", "S307"}


@pytest.mark.parametrize("mode", [LintConfigMode.PROJECT, LintConfigMode.ISOLATED])
def test_a_crash_costs_only_its_file_in_either_mode(
    mode: LintConfigMode, ruff_runs: list[int]
) -> None:
    python = _tree({"plus_chain": HOSTILE["plus_chain"](), "brackets": HOSTILE["brackets"]()})
    tomls = {"pyproject.toml": b'[tool.ruff.lint]\nselect = ["F", "S"]\n'}
    run = lint_python(python, tomls, mode)
    by_path: dict[str, set[str]] = {}
    for f in run.findings:
        by_path.setdefault(f.path, set()).add(f.rule_id)
    assert by_path.pop("pkg/plus_chain.py") == {RUFF_CRASH}
    assert by_path.pop("pkg/brackets.py") == {RUFF_CRASH}
    assert by_path == {f"pkg/good_{i:02}.py": {"F401", "S307"} for i in range(12)}
    entry = rule(RUFF_CRASH)
    crash = next(f for f in run.findings if f.rule_id == RUFF_CRASH)
    assert (crash.severity, crash.category, crash.fix_hint) == (
        entry.severity, entry.category, entry.suggestion,
    )  # fmt: skip
    # 14 files, 2 crashing: bisection (at most 2 runs per crashing file and level of 4), far
    # fewer than one run per file.
    assert len(ruff_runs) <= 1 + 2 * 2 * 4


def test_the_retries_grow_with_the_log_of_the_tree(tmp_path: Path, ruff_runs: list[int]) -> None:
    paths = [f"m{i:03}.py" for i in range(128)]
    for p in paths:
        (tmp_path / p).write_bytes(b"x = 1\n")
    (tmp_path / "m077.py").write_bytes(HOSTILE["unary_minus"]())
    checked = ruff_check(find_ruff(), tmp_path, ["--isolated", "--output-format", "json"], paths)
    assert [c.path for c in checked.crashes] == ["m077.py"]
    assert len(ruff_runs) == 1 + 2 * 7  # the whole batch, then both halves at each of 7 levels
    assert sum(ruff_runs) == 128 + sum(128 // 2**k for k in range(0, 7))  # 382 file-runs


def test_a_refusal_is_not_a_crash(tmp_path: Path) -> None:
    """ruff refusing its arguments (exit 2) still fails loudly: only crashes are bisected."""
    (tmp_path / "a.py").write_bytes(GOOD)
    with pytest.raises(RuffError, match="exit 2"):
        ruff_check(find_ruff(), tmp_path, ["--select", "NOT-A-RULE"], ["a.py"])


def test_past_the_retry_budget_no_file_is_lost(
    tmp_path: Path, ruff_runs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tree of many crashing files cannot buy unbounded ruff runs; what the budget leaves
    unsplit is reported file by file, never dropped."""
    monkeypatch.setattr(ruff_process, "MAX_RETRIES", 4)
    paths = [f"m{i:02}.py" for i in range(16)]
    for i, p in enumerate(paths):
        (tmp_path / p).write_bytes(HOSTILE["unary_minus"]() if i % 4 == 0 else b"import os\n")
    checked = ruff_check(find_ruff(), tmp_path, ["--isolated", "--output-format", "json"], paths)
    assert len(ruff_runs) <= 1 + 4
    linted = {path for path, _ in checked.diagnostics}
    crashed = {c.path for c in checked.crashes}
    assert linted | crashed == set(paths) and not linted & crashed
    assert {"m00.py", "m04.py", "m08.py", "m12.py"} <= crashed
    assert any("stopped splitting" in c.reason for c in checked.crashes)
