"""`coderev serve` on the real template.yaml, in its own process, used over HTTP as a client
would: upload, poll, fetch the report (the direct engine's, bar the times), the executions
it ran as `coderev executions` shows them, failures recorded with their cause, SIGTERM."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import (
    Server,
    coderev,
    embedded_environ,
    sample_archive,
    start_server,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("serve") / "data")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def succeeded(server: Server) -> dict[str, Any]:
    return server.analyse(sample_archive())


def without_volatile(report: dict[str, Any]) -> dict[str, Any]:
    """The report bar its times and analysis id (without --fail-on both paths record
    `gate: null`)."""
    from tests.report_compare import comparable

    return comparable(report)


def test_it_announces_what_it_serves(server: Server) -> None:
    text = "\n".join(server.lines)
    assert "POST /analyses -> AnalysesFunction" in text
    assert "S3 Upload -> IngestFunction" in text
    assert "AnalysisStateMachine" in text
    assert "HousekeepingFunction.Hourly" in text


def test_health_and_an_unknown_route(server: Server) -> None:
    assert server.request("GET", "/health")[0] == 200
    assert server.request("GET", "/no/such/route")[0] == 404


def test_an_upload_is_analysed_like_the_direct_engine(
    server: Server, succeeded: dict[str, Any], tmp_path: Path
) -> None:
    assert succeeded["status"] == "SUCCEEDED", succeeded
    status, report = server.json("GET", f"/analyses/{succeeded['id']}/report/json")
    assert status == 200

    archive = tmp_path / Path(report["source"]).name
    archive.write_bytes(sample_archive())
    direct = coderev("review", archive, "--format", "json", "-q", "--out", tmp_path / "direct",
                     out=tmp_path / "direct")  # fmt: skip
    assert direct.code == 0, direct.stderr
    assert without_volatile(report) == without_volatile(direct.report())
    assert succeeded["counts"]["findings"] == len(report["findings"]) > 0


def test_executions_list_and_show_the_run(server: Server, succeeded: dict[str, Any]) -> None:
    listed = server.cli("executions", "list")
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if succeeded["id"] in line)
    assert "SUCCEEDED" in line and "AnalysisStateMachine" in line
    limited = server.cli("executions", "list", "--limit", "1", "--status", "succeeded")
    assert len(limited.stdout.splitlines()) == 1 and "SUCCEEDED" in limited.stdout
    assert server.cli("executions", "list", "--status", "DONE").returncode == 2

    shown = server.cli("executions", "show", succeeded["id"])
    assert shown.returncode == 0, shown.stderr
    assert "status: SUCCEEDED" in shown.stdout
    entered = [line.split()[-1] for line in shown.stdout.splitlines()
               if "StateEntered" in line]  # fmt: skip
    assert entered[:2] == ["Index", "Analyze"]  # then its two branches, interleaved
    assert sorted(entered[2:5]) == ["AnalyzeShard", "AnalyzeShards", "Ruff"]
    assert entered[5:] == ["Architecture", "Review", "ReviewByModels", "Finalize", "Succeeded"]
    assert shown.stdout.rstrip().endswith("ExecutionSucceeded")
    assert server.cli("executions", "show", "no-such-execution").returncode == 2


def test_a_hostile_archive_ends_failed_with_its_cause(server: Server) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:  # a zip bomb
        archive.writestr("shop/bomb.py", b"#" * (16 << 20))
    record = server.analyse(buffer.getvalue())
    assert record["status"] == "FAILED"
    assert record["error"] == "ArchiveLimitError"
    assert "compression ratio" in record["cause"]
    # Ingest refuses it before any execution starts: nothing to show under executions.
    assert record["id"] not in server.cli("executions", "list").stdout


def test_a_failing_step_fails_the_execution_with_its_cause(server: Server) -> None:
    record = server.analyse(sample_archive(config="[tool.coderev]\nno_such_key = 1\n"))
    assert record["status"] == "FAILED"
    assert record["error"] == "ConfigError"
    assert "no_such_key" in record["cause"]

    shown = server.cli("executions", "show", record["id"])
    assert "status: FAILED" in shown.stdout
    assert "error: ConfigError" in shown.stdout
    assert "no_such_key" in shown.stdout
    entered = [line.split()[-1] for line in shown.stdout.splitlines() if "StateEntered" in line]
    assert entered == ["Index", "MarkFailed", "Failed"]


def test_sigterm_finishes_the_running_analysis_and_exits_0(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    status, accepted = server.json("POST", "/analyses", sample_archive())
    assert status == 202
    assert server.stop() == 0
    assert server.lines[-1] == "coderev serve: stopped"
    shown = server.cli("executions", "show", accepted["id"])
    assert "status: SUCCEEDED" in shown.stdout, shown.stdout + shown.stderr


def test_a_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "coderev.cli", "serve", "--template", str(tmp_path / "nope.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
        env=embedded_environ(CODEREV_DATA_DIR=str(tmp_path)),
    )  # fmt: skip
    assert result.returncode == 2
    assert "no template at" in result.stderr


def test_it_finds_the_checkout_template_from_any_folder(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    running = start_server(tmp_path / "data", cwd=elsewhere)
    try:
        assert running.json("GET", "/health")[0] == 200
    finally:
        assert running.stop() == 0


def test_a_failed_analysis_reruns_from_the_command_line(server: Server) -> None:
    failed = server.analyse(sample_archive(config="[tool.coderev]\nno_such_key = 1\n"))
    assert failed["status"] == "FAILED"

    rerun = server.cli("analyses", "rerun", failed["id"], "--api-url", server.url)

    assert rerun.returncode == 0, rerun.stderr
    new_id = rerun.stdout.split()[0]
    assert new_id != failed["id"] and f"(rerun of {failed['id']})" in rerun.stdout
    again = server.wait_ended(new_id)
    assert (again["status"], again["error"]) == ("FAILED", "ConfigError")  # the same archive
    assert again["source"] == failed["source"]

    succeeded = server.analyse(sample_archive())
    refused = server.cli("analyses", "rerun", succeeded["id"], "--api-url", server.url)
    assert refused.returncode == 1
    assert "only a FAILED analysis is rerun (409)" in refused.stderr


def test_a_50_mb_report_downloads_through_the_api(
    server: Server, succeeded: dict[str, Any]
) -> None:
    """Far over Lambda's 6 MB response: the report route redirects to the gateway's presigned
    download, which sends it gzip-encoded to a client that accepts it."""
    from coderev.adapters.embedded.object_store import LocalObjectStore

    store = LocalObjectStore(server.data_dir / "objects" / server.env.get("S3_BUCKET", "coderev"))
    key = next(info.key for info in store.list(f"reports/{succeeded['id']}/")
               if info.key.endswith(".json") and "sarif" not in info.key)  # fmt: skip
    big = json.dumps({"findings": [{"n": n, "path": f"pkg/m{n}.py"} for n in range(1_500_000)]})
    assert len(big) > 50_000_000
    store.put(key, big.encode())

    request = urllib.request.Request(f"{server.url}/analyses/{succeeded['id']}/report/json",
                                     headers={"Accept-Encoding": "gzip"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as response:  # follows the 303
        assert response.headers["Content-Encoding"] == "gzip"
        body = response.read()
    assert "/_objects/reports/" in response.url
    assert len(body) < len(big) / 5 and gzip.decompress(body) == big.encode()
