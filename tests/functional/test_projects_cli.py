"""The CI pipeline's way in, as a user runs it against `coderev serve`: `coderev projects
create` a project with a gate, `coderev review PATH --project NAME --server URL` uploads,
prints the report link and exits with the gate's code; once the first analysis is the
project's baseline, the next is compared with it (drift over HTTP, the gate on new findings
only), with the version it was given recorded."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.functional.conftest import SAMPLE, Server, coderev, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("projects") / "data")
    yield running
    running.stop()


def analysis_of(stdout: str) -> str:
    found = re.search(r"^report: \S+/analyses/([0-9a-f-]{36})/report/html$", stdout, re.M)
    assert found, stdout
    return found.group(1)


def test_review_into_a_project_with_its_gate_and_baseline(server: Server, tmp_path: Path) -> None:
    made = coderev("projects", "create", "shop", "--fail-on", "new-high", "--ignore", "docs/*",
                   "--server", server.url, out=tmp_path)  # fmt: skip
    assert made.code == 0, made.stderr
    assert json.loads(made.stdout)["settings"]["fail_on"] == "new-high"

    first = coderev("review", SAMPLE, "--project", "shop", "--server", server.url, "--label",
                    "v1", "--out", tmp_path / "first", out=tmp_path / "first")  # fmt: skip
    report = first.report()
    gate = report["summary"]["gate"]
    assert gate["spec"] == "new-high"  # the project's gate, not asked on the command line
    assert first.code == (0 if gate["passed"] else 1), first.stderr
    first_id = analysis_of(first.stdout)
    assert report["drift"] is None  # no baseline yet

    marked = coderev("projects", "baseline", "shop", first_id, "--server", server.url,
                     out=tmp_path)  # fmt: skip
    assert marked.code == 0, marked.stderr

    second = coderev("review", SAMPLE, "--project", "shop", "--server", server.url,
                     "--commit", "b2", "--out", tmp_path / "second",
                     out=tmp_path / "second")  # fmt: skip
    assert second.code == 0, second.stderr  # the same code: nothing new, the gate passes
    assert second.report()["summary"]["gate"]["passed"] is True
    second_id = analysis_of(second.stdout)
    status, drift = server.json("GET", f"/projects/shop/analyses/{second_id}/drift")
    assert status == 200, drift
    assert drift["baseline_id"] == first_id
    assert drift["drift"]["findings"]["new"] == 0
    _, view = server.json("GET", f"/projects/shop/analyses/{second_id}")
    assert (view["commit"], view["uploaded_by"]) == ("b2", "local")


def test_an_unknown_project_is_a_usage_error(server: Server, tmp_path: Path) -> None:
    run = coderev("review", SAMPLE, "--project", "nope", "--server", server.url, out=tmp_path)
    assert run.code == 2
    assert "ProjectNotFoundError" in run.stderr
