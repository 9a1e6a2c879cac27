"""Quality gate exit codes, baselines and drift, and clear errors for bad input."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any


def test_gate_fails_with_exit_1_and_says_why(cli: Any, sample: Path, tmp_path: Path) -> None:
    run = cli("review", sample, "--out", tmp_path / "o", "--fail-on", "high", out=tmp_path / "o")
    assert run.code == 1
    assert "FAILED" in run.stderr
    assert run.report()["summary"]["gate"]["passed"] is False


def test_new_high_passes_against_its_own_baseline(
    cli: Any, sample: Path, sample_run: Any, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    run = cli(
        "review",
        sample,
        "--out",
        out,
        "--baseline",
        sample_run.out / "report.json",
        "--fail-on",
        "new-high",
        out=out,
    )
    assert run.code == 0, run.stderr
    report = run.report()
    assert {f["status"] for f in report["findings"]} == {"existing"}
    assert report["drift"]["architecture"]["new_imports"] == []


def test_a_new_problem_is_new_and_drift_shows_the_new_edge(
    cli: Any, sample: Path, sample_run: Any, sample_copy: Path, tmp_path: Path
) -> None:
    views = sample_copy / "src/shop/api/views.py"
    views.write_text("\n\n" + views.read_text() + "\n\ndef run(cmd: str) -> None:\n    exec(cmd)\n")
    (sample_copy / "src/shop/domain/pricing_rules.py").write_text(
        "from shop.services.pricing import compute_price\n"
    )
    out = tmp_path / "o"
    run = cli(
        "review",
        sample_copy,
        "--out",
        out,
        "--baseline",
        sample_run.out / "report.json",
        "--fail-on",
        "new-high",
        out=out,
    )
    assert run.code == 1
    report = run.report()
    new = [f for f in report["findings"] if f["status"] == "new"]
    assert {f["rule_id"] for f in new} >= {"S102"}
    # moving views.py's lines down did not make its old findings new
    assert all(f["status"] == "existing" for f in report["findings"] if f["rule_id"] == "S307")
    drift = report["drift"]["architecture"]
    assert {"source": "shop.domain.pricing_rules", "target": "shop.services.pricing"} in drift[
        "new_imports"
    ]
    assert drift["new_violations"]


def test_zip_bomb_is_refused_with_exit_2_naming_the_limit(
    cli: Any, sample: Path, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("bomb.py", b"#" * (300 * 1024 * 1024))
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(buf.getvalue())
    run = cli("review", bomb, "--out", tmp_path / "o", out=tmp_path / "o")
    assert run.code == 2
    assert "ratio" in run.stderr or "size" in run.stderr
    assert not (tmp_path / "o" / "report.json").exists()


def test_traversal_members_are_skipped_and_never_written(
    cli: Any, sample: Path, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr("../../escaped.py", "print('x')\n")
        zf.writestr("/abs.py", "print('y')\n")
    archive = tmp_path / "evil.zip"
    archive.write_bytes(buf.getvalue())
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    run = cli("review", archive, "--out", work / "o", out=work / "o", cwd=work)
    assert run.code == 0, run.stderr
    reasons = {s["reason"] for s in run.report()["skipped"]}
    assert {"path-traversal", "absolute-path"} <= reasons
    assert not (tmp_path / "escaped.py").exists()
    assert not Path("/abs.py").exists()


def test_usage_errors_exit_2(cli: Any, sample: Path, tmp_path: Path) -> None:
    assert (
        cli("review", tmp_path / "missing", "--out", tmp_path / "o", out=tmp_path / "o").code == 2
    )
    bad_gate = cli(
        "review", sample, "--fail-on", "sometimes", "--out", tmp_path / "o", out=tmp_path / "o"
    )
    assert bad_gate.code == 2 and "sometimes" in bad_gate.stderr
    bad_format = cli(
        "review", sample, "--format", "pdf", "--out", tmp_path / "o", out=tmp_path / "o"
    )
    assert bad_format.code == 2 and "pdf" in bad_format.stderr
    (tmp_path / "old.json").write_text("{not json")
    bad_base = cli(
        "review",
        sample,
        "--baseline",
        tmp_path / "old.json",
        "--out",
        tmp_path / "o",
        out=tmp_path / "o",
    )
    assert bad_base.code == 2 and "old.json" in bad_base.stderr
