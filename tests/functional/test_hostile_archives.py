"""The standing hostile suite: each of the 42 hostile archives (tests/functional/
hostile_archives.py) through `coderev review --via direct` and through the platform ends with
its documented outcome: exit 2 with a message naming the limit, or a report where the hostile
member is skipped with its reason or is one finding, and the good file beside it reviewed.
Never a traceback, an internal error (exit 3) or a raw exception name."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.functional.conftest import Run, coderev
from tests.functional.hostile_archives import GOOD, HOSTILE, Hostile

RAW = ("Traceback", "Error:", "Errno", "coderev-ruff-", "FileExistsError", "KeyError")


def _cases(platform_too: bool) -> list[object]:
    cases: list[object] = []
    for case in HOSTILE:
        for via in ("direct", "platform"):
            if via == "platform" and not platform_too:
                continue
            marks = [pytest.mark.slow] if case.expect.slow or via == "platform" else []
            cases.append(pytest.param(case, via, id=f"{via}-{case.name}", marks=marks))
    return cases


def _review(case: Hostile, via: str, tmp_path: Path) -> Run:
    archive = tmp_path / case.name
    archive.write_bytes(case.build())
    out = tmp_path / "out"
    return coderev("review", archive, "--via", via, "--out", out, "--quiet", out=out)


def check_outcome(case: Hostile, run: Run) -> None:
    said = run.stdout + run.stderr
    assert not any(raw in said for raw in RAW), said[-2000:]
    expect = case.expect
    if expect.refused is not None:
        assert run.code == 2, said[-2000:]
        assert "error:" in said and expect.refused in said, said[-2000:]
        return
    assert run.code == 0, said[-2000:]
    report = run.report()
    paths = {f["path"] for f in report["findings"]}
    if expect.empty:
        assert report["findings"] == [] and report["skipped"] == []
        return
    assert "pkg/good.py" in paths, "the good file beside the hostile one was reviewed"
    if expect.skipped is not None:
        skipped = {(s["path"], s["reason"]) for s in report["skipped"]}
        assert expect.skipped in skipped, skipped
    if expect.finding is not None:
        found = {(f["path"], f["rule_id"]) for f in report["findings"]}
        assert expect.finding in found, sorted(found)[:20]


def test_the_set_is_the_issues_42() -> None:
    assert len(HOSTILE) == 42
    assert len({case.name for case in HOSTILE}) == 42
    assert GOOD


@pytest.mark.parametrize(("case", "via"), _cases(platform_too=True))
def test_a_hostile_archive_has_its_documented_outcome(
    case: Hostile, via: str, tmp_path: Path
) -> None:
    check_outcome(case, _review(case, via, tmp_path))
