"""`coderev review --via platform`: the archive goes through the embedded platform (upload ->
S3 notification -> ingest -> state machine -> finalize) and the reports come back identical
to the direct engine's, bar the times; the states are shown as they are entered."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from tests.functional.conftest import Run, coderev

STATES = ["Index", "Analyze", "Architecture", "Review", "Finalize"]


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """The report bar its times and analysis id (without --fail-on both paths record
    `gate: null`)."""
    from tests.report_compare import comparable as alike

    return alike(report)


def review(target: Path, out: Path, *extra: str) -> Run:
    return coderev("review", target, "--out", out, *extra, out=out)


def test_a_directory_gives_the_direct_engines_reports(sample: Path, tmp_path: Path) -> None:
    platform = review(sample, tmp_path / "platform", "--via", "platform")
    direct = review(sample, tmp_path / "direct", "--via", "direct", "-q")
    assert platform.code == 0, platform.stderr
    assert direct.code == 0, direct.stderr

    assert comparable(platform.report()) == comparable(direct.report())
    assert platform.report()["source"] == "shop"
    for name in ("report.sarif", "report.md", "report.html"):
        assert (platform.out / name).stat().st_size > 0, name
    shown = [line.strip() for line in platform.stderr.splitlines()]
    assert [line for line in shown if line in STATES] == STATES
    assert (platform.out / "platform.log").stat().st_size > 0  # the handlers' JSON logs


def test_an_archive_and_a_subset_of_formats(sample: Path, tmp_path: Path) -> None:
    archive = tmp_path / "shop.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(sample, arcname="shop")
    platform = review(archive, tmp_path / "p", "--via", "platform", "--format", "json,md", "-q")
    direct = review(archive, tmp_path / "d", "--format", "json", "-q")
    assert platform.code == 0, platform.stderr
    assert comparable(platform.report()) == comparable(direct.report())
    assert sorted(p.name for p in platform.out.glob("report.*")) == ["report.json", "report.md"]
    assert platform.stderr == ""


def test_the_run_is_listed_under_executions(sample: Path, tmp_path: Path) -> None:
    out = tmp_path / "p"
    assert review(sample, out, "--via", "platform", "--keep", "-q").code == 0
    listed = coderev("executions", "list", "--status", "SUCCEEDED", out=out)
    assert listed.code == 0
    assert len(listed.stdout.splitlines()) == 1 and "SUCCEEDED" in listed.stdout


def test_a_broken_archive_fails_with_its_cause(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"[tool.coderev]\nno_such_key = 1\n"
        info = tarfile.TarInfo("broken/.coderev.toml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        code = b"x = 1\n"
        info = tarfile.TarInfo("broken/a.py")
        info.size = len(code)
        tar.addfile(info, io.BytesIO(code))
    archive = tmp_path / "broken.tar.gz"
    archive.write_bytes(buffer.getvalue())
    run = review(archive, tmp_path / "p", "--via", "platform")
    assert run.code == 2
    assert "FAILED" in run.stderr and "ConfigError" in run.stderr
    assert not (run.out / "report.json").exists()


def test_gate_baseline_exclusions_and_config_give_the_direct_engines_verdict(
    sample: Path, tmp_path: Path
) -> None:
    first = review(sample, tmp_path / "first", "--via", "direct", "-q")
    assert first.code == 0, first.stderr
    config = tmp_path / "coderev.toml"
    config.write_text('root_packages = ["shop"]\nexclude = ["src/shop/legacy"]\n')
    asks = [
        ("--fail-on", "high"),  # fails: the sample has high findings
        ("--baseline", str(first.out / "report.json"), "--fail-on", "new-high"),  # passes
        (
            "--exclude",
            "src/shop/domain/*",
            "--fail-on",
            "architecture",
            "--config",
            str(config),
        ),  # a cycle
    ]
    for n, ask in enumerate(asks):
        platform = review(sample, tmp_path / f"p{n}", "--via", "platform", *ask)
        direct = review(sample, tmp_path / f"d{n}", "--via", "direct", "-q", *ask)
        assert (platform.code, direct.code) == ((1, 1), (0, 0), (1, 1))[n], platform.stderr
        assert comparable(platform.report()) == comparable(direct.report()), ask
        gate = platform.report()["summary"]["gate"]
        assert gate is not None and gate["passed"] is (platform.code == 0)
        assert f"gate {gate['spec']}" in platform.stderr  # the summary shows the verdict
    baselined = review(sample, tmp_path / "p1b", "--baseline", str(first.out / "report.json"))
    assert baselined.report()["summary"]["existing"] == first.report()["summary"]["findings"]
    excluded = {f["path"] for f in review(sample, tmp_path / "p2b", *asks[2]).report()["files"]}
    assert not any(p.startswith(("src/shop/domain/", "src/shop/legacy/")) for p in excluded)


def test_the_platform_is_the_default_and_works_from_any_folder(
    sample: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = coderev("review", sample, "--out", tmp_path / "o", out=tmp_path / "o", cwd=elsewhere)
    assert run.code == 0, run.stderr
    assert [line.strip() for line in run.stderr.splitlines() if line.strip() in STATES] == STATES


def test_what_cannot_be_done_is_refused(sample: Path, tmp_path: Path) -> None:
    unknown = review(sample, tmp_path / "u", "--reviewer", "gpt-4.1")
    assert unknown.code == 2 and "choose offline, auto" in unknown.stderr
    assert review(sample, tmp_path / "q", "--via", "elsewhere").code == 2
    assert review(tmp_path / "missing", tmp_path / "r").code == 2


def test_ctrl_c_aborts_the_analysis_and_records_why(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    from tests.functional.conftest import ROOT, embedded_environ

    big = tmp_path / "big"
    body = "".join(f"def f{i}(a, b):\n    if a:\n        return b + {i}\n    return a\n"
                   for i in range(300))  # fmt: skip
    for n in range(1500):
        (big / f"pkg{n % 30}").mkdir(parents=True, exist_ok=True)
        (big / f"pkg{n % 30}" / f"m{n}.py").write_text(body)
    data = tmp_path / "data"
    env = embedded_environ(COLUMNS="200", XDG_DATA_HOME=str(data))
    proc = subprocess.Popen(
        [sys.executable, "-m", "coderev.cli", "review", str(big), "--out", str(tmp_path / "o"),
         "--keep"],
        cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    for line in proc.stderr:  # the states, as they are entered
        if line.strip() == "Analyze":
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(120) == 130, rest
    assert "interrupted: the analysis was aborted" in rest
    assert not (tmp_path / "o" / "report.json").exists()
    listed = coderev("executions", "list", out=tmp_path / "o")
    assert "ABORTED" in listed.stdout, listed.stdout
    shown = coderev("executions", "show", listed.stdout.split()[0], out=tmp_path / "o")
    assert "cause: coderev review stopped before the analysis ended" in shown.stdout
    assert shown.stdout.rstrip().endswith("ExecutionAborted")
    import sqlite3

    with sqlite3.connect(data / "coderev" / "coderev.db") as db:
        recorded = db.execute("select status, error from analyses").fetchall()
    assert recorded == [("FAILED", "States.Aborted")]  # the analysis says so too


def test_a_review_leaves_nothing_behind_unless_kept(sample: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.functional.conftest import ROOT, embedded_environ

    data, temp = tmp_path / "data", tmp_path / "tmp"
    temp.mkdir()
    abandoned = temp / "coderev-review-999999999-x"  # a review killed before its clean-up
    abandoned.mkdir()
    env = embedded_environ(XDG_DATA_HOME=str(data), TMPDIR=str(temp))

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "coderev.cli", "review", str(sample), "--out",
             str(tmp_path / "o"), "-q", *extra],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    for _ in range(2):
        assert run().returncode == 0
    assert not data.exists()  # the user's data dir was never touched
    import os

    left = [p.name for p in temp.rglob("*") if p != temp / f"coderev-{os.getuid()}"]
    assert left == []  # the run dirs went, the abandoned one too
    assert (tmp_path / "o" / "report.json").is_file()
    kept = run("--keep")
    assert kept.returncode == 0
    assert (data / "coderev").is_dir()
    listed = subprocess.run(
        [sys.executable, "-m", "coderev.cli", "executions", "list"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert len(listed.stdout.splitlines()) == 1 and "SUCCEEDED" in listed.stdout


def test_both_paths_print_the_same_summary(sample: Path, tmp_path: Path) -> None:
    platform = review(sample, tmp_path / "platform", "--fail-on", "high")
    direct = review(sample, tmp_path / "direct", "--via", "direct", "--fail-on", "high")
    assert platform.code == direct.code == 1  # the sample's planted findings fail the gate

    def summary(run: Run) -> list[str]:
        lines = [line.strip() for line in run.stderr.splitlines()]
        first = next(i for i, line in enumerate(lines) if line.startswith("coderev reviewed"))
        return [line for line in lines[first:] if "→" not in line]  # not where each report went

    printed = summary(platform)
    assert printed == summary(direct)
    assert printed[0].startswith("coderev reviewed shop:") and "modules" in printed[0]
    assert any(line.startswith("architecture: 1 cycle(s)") for line in printed), printed
    assert any(line.startswith("gate high (source files): FAILED") for line in printed), printed


def test_the_platform_hands_the_report_summary_back_with_the_reports(sample: Path) -> None:
    import io
    import tarfile

    from coderev.reports.json_format import summary_of
    from coderev.runtime.platform.ephemeral import ephemeral_platform
    from coderev.runtime.platform.serve import review_on_platform

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(sample, arcname="shop")
    with ephemeral_platform():
        outcome = review_on_platform(buffer.getvalue(), "shop", ("json",))
    assert outcome.status == "SUCCEEDED"
    import json

    assert outcome.summary == summary_of(json.loads(outcome.reports["json"]))


def test_a_direct_review_writes_its_code_graph_only_when_kept(sample: Path, tmp_path: Path) -> None:
    import sqlite3
    import subprocess
    import sys

    from tests.functional.conftest import ROOT, embedded_environ

    env = embedded_environ(XDG_DATA_HOME=str(tmp_path / "data"), TMPDIR=str(tmp_path))

    def run(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "coderev.cli", "review", str(sample), "--via", "direct",
             "--out", str(out), "-q", *extra],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert run(tmp_path / "plain").returncode == 0
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == [
        "report.html", "report.json", "report.md", "report.sarif",
    ]  # fmt: skip
    assert run(tmp_path / "kept", "--keep").returncode == 0
    with sqlite3.connect(tmp_path / "kept" / "graph.sqlite") as db:
        modules = db.execute("select count(*) from graph_nodes where label = 'Module'").fetchone()
    assert modules[0] > 5  # the sample's modules, as the platform's --keep keeps them
    assert not (tmp_path / "data").exists()


def test_gc_reports_and_reclaims_what_retention_no_longer_needs(
    sample: Path, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tests.functional.conftest import ROOT, embedded_environ

    data = tmp_path / "data"

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        env = embedded_environ(CODEREV_DATA_DIR=str(data), TMPDIR=str(tmp_path), **extra)
        return subprocess.run([sys.executable, "-m", "coderev.cli", *args], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    for _ in range(2):
        assert (
            run("review", str(sample), "--out", str(tmp_path / "o"), "--keep", "-q").returncode == 0
        )
    planned = run("gc", "--dry-run")
    assert planned.returncode == 0, planned.stderr
    assert "would delete: nothing" in planned.stdout  # all within retention
    assert "objects/reports" in planned.stdout and "graph.sqlite" in planned.stdout
    # 9 ms and 4 ms: both reviews ended longer ago than that, however fast the machine (a
    # cutoff of 0.9 s let the second review's record through on a fast one)
    expired = {"CODEREV_RETENTION_DAYS": "0.0000001", "CODEREV_UPLOAD_HOURS": "0.000001"}
    planned = run("gc", "--dry-run", **expired)
    assert "would delete: 2 uploads" in planned.stdout and "2 records" in planned.stdout
    assert run("executions", "list").stdout.count("SUCCEEDED") == 2  # a dry run deleted nothing
    done = run("gc", **expired)
    assert done.returncode == 0, done.stderr
    assert "deleted: 2 uploads" in done.stdout and "2 graphs, 2 executions" in done.stdout
    assert run("executions", "list").stdout.strip() == "no executions"
    sizes = {line.split()[0]: line for line in done.stdout.splitlines()[1:] if "->" in line}
    assert sizes["objects/reports"].rstrip().endswith("-> 0 B")

    def size(text: str) -> float:
        number, unit = text.split()
        return float(number) * 1024 ** ["B", "KB", "MB", "GB"].index(unit)  # as gc prints

    for name in ("coderev.db", "executions.db"):  # VACUUM's write-ahead log is folded back in:
        before, after = sizes[name].split(None, 1)[1].split("->")  # no database file grows
        assert size(after) <= size(before), sizes[name]


def test_a_config_too_large_for_the_metadata_travels_beside_the_upload(
    sample: Path, tmp_path: Path
) -> None:
    contracts = "".join(
        f'\n[[tool.coderev.contracts]]\nname = "Forbidden number {n} keeps the domain pure"\n'
        f'type = "forbidden"\nsource_modules = ["shop.domain"]\n'
        f'forbidden_modules = ["shop.adapters", "shop.api"]\n'
        for n in range(40)
    )
    config = tmp_path / "big.toml"
    config.write_text('[tool.coderev]\nroot_packages = ["shop"]\n' + contracts)
    assert len(config.read_bytes()) > 4096  # far past S3's 2 KB of metadata
    platform = review(sample, tmp_path / "p", "--config", str(config), "-q")
    direct = review(sample, tmp_path / "d", "--via", "direct", "--config", str(config), "-q")
    assert platform.code == direct.code == 0, platform.stderr
    assert comparable(platform.report()) == comparable(direct.report())
    assert len(platform.report()["architecture"]["contracts_checked"]) == 40
