"""`coderev review --lint-config`: the reviewed project's own ruff configuration, on the platform
(the default) and in the direct engine alike, said in every report format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import Run, coderev

PYPROJECT = """[project]
name = "synthetic"

[tool.ruff.lint]
select = ["E", "F", "B"]
ignore = ["S105", "B006"]

[tool.ruff.lint.per-file-ignores]
"pkg/legacy/*" = ["S106", "S113"]
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "pkg/cli/ruff.toml": '[lint]\nselect = ["F"]\nextend-ignore = ["S602"]\n',
    "pkg/__init__.py": 'from pkg.core import api\n\n__all__ = ["api"]\n',
    "pkg/core.py": """import requests

PASSWORD = "hunter2"


def api(x=[]):
    requests.get("https://a.example")  # noqa: S113
    token = "abc"  # nosec B105
    eval(x)  # nosec
    return requests.get("https://b.example")
""",
    "pkg/quiet.py": '# ruff: noqa\nimport os\neval("2")\n',
    "pkg/legacy/api.py": """import requests


def fetch():
    requests.get("https://a.example")
    f(password="abc")
""",
    "pkg/cli/run.py": 'import subprocess\n\nsubprocess.call("ls", shell=True)\neval("1")\n',
}
# What the project turned off, and what coderev's selection alone reports
TURNED_OFF = {
    ("pkg/core.py", 3, "S105"),
    ("pkg/core.py", 6, "B006"),
    ("pkg/core.py", 9, "S307"),
    ("pkg/cli/run.py", 3, "S602"),
    ("pkg/legacy/api.py", 5, "S113"),
    ("pkg/legacy/api.py", 6, "S106"),
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lint") / "synthetic"
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def review(target: Path, out: Path, *extra: str) -> Run:
    run = coderev("review", target, "--out", out, "-q", *extra, out=out)
    assert run.code == 0, run.stderr
    return run


def ruff_findings(report: dict[str, Any]) -> set[tuple[str, int, str]]:
    return {
        (f["path"], f["line"], f["rule_id"]) for f in report["findings"] if f["source"] == "ruff"
    }


def test_the_projects_configuration_on_the_platform_and_in_the_engine(
    synthetic: Path, tmp_path: Path
) -> None:
    platform = review(synthetic, tmp_path / "platform")
    direct = review(synthetic, tmp_path / "direct", "--via", "direct")

    found = ruff_findings(platform.report())
    assert found == ruff_findings(direct.report())
    assert found == {
        ("pkg/core.py", 8, "F841"),
        ("pkg/core.py", 10, "S113"),
        ("pkg/cli/run.py", 3, "S607"),
        ("pkg/cli/run.py", 4, "S307"),
        ("pkg/legacy/api.py", 6, "F821"),
    }
    lint = platform.report()["lint_config"]
    assert lint == direct.report()["lint_config"]
    assert lint["mode"] == "project" and lint["ruff_version"] == "0.17.5"
    assert [(c["path"], c["files"]) for c in lint["configs"]] == [
        ("pkg/cli/ruff.toml", 1),
        ("pyproject.toml", 4),
    ]
    assert "S602" not in lint["configs"][0]["added_rules"]
    assert "S113" in lint["configs"][1]["added_rules"]
    assert "S105" not in lint["configs"][1]["added_rules"]
    assert lint["nosec_suppressed"] == 1 and lint["warnings"] == []

    markdown = (platform.out / "report.md").read_text()
    assert "Lint: ruff 0.17.5 with the project's configuration: pkg/cli/ruff.toml" in markdown
    assert "pyproject.toml (4 files, coderev added" in markdown
    assert (
        "ruff 0.17.5 with the project&#39;s configuration"
        in (platform.out / "report.html").read_text()
    )
    (invocation,) = json.loads((platform.out / "report.sarif").read_text())["runs"][0][
        "invocations"
    ]
    assert invocation["properties"]["lintConfig"] == lint


def test_isolated_brings_todays_findings_back(synthetic: Path, tmp_path: Path) -> None:
    platform = review(synthetic, tmp_path / "platform", "--lint-config", "isolated")
    direct = review(synthetic, tmp_path / "direct", "--via", "direct", "--lint-config", "isolated")

    found = ruff_findings(platform.report())
    assert found == ruff_findings(direct.report())
    assert found >= TURNED_OFF
    assert not any(path in ("pkg/quiet.py", "pkg/__init__.py") for path, _, _ in found)
    assert platform.report()["lint_config"]["mode"] == "isolated"
    assert "--lint-config isolated" in (platform.out / "report.md").read_text()


def test_a_hostile_configuration_is_left_out_with_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "ruff.toml").write_text('extend = "/etc/passwd"\n')
    (root / "a.py").write_text('import os\neval("1")\n')

    run = review(root, tmp_path / "out")

    assert ruff_findings(run.report()) == {("a.py", 1, "F401"), ("a.py", 2, "S307")}
    (warning,) = run.report()["lint_config"]["warnings"]
    assert warning.startswith("ruff.toml left out: `extend = '/etc/passwd'`")
    assert "root:" not in (run.out / "report.json").read_text()
    assert warning in (run.out / "report.md").read_text()
    sarif = json.loads((run.out / "report.sarif").read_text())
    notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
    assert [n["message"]["text"] for n in notes] == [warning]


def test_an_unknown_mode_is_a_usage_error(synthetic: Path, tmp_path: Path) -> None:
    run = coderev("review", synthetic, "--lint-config", "lenient", out=tmp_path / "o")
    assert run.code == 2 and "--lint-config" in run.stderr
