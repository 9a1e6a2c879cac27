"""ruff with the reviewed project's own configuration: what it turns off stays off, what
coderev adds is recorded, `# noqa` / `# nosec` hold, and a hostile or broken configuration
neither reads the host's files nor stops the analysis."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from coderev.analysis.archive import read_archive_bytes, read_source
from coderev.analysis.ruff_project import RuffRun, lint_python
from coderev.domain.lint import LintConfigMode
from coderev.domain.source import SourceTree

PYPROJECT = b"""[project]
name = "synthetic"
requires-python = ">=3.12"

[tool.ruff]
line-length = 100

[tool.ruff.lint]
select = ["E", "F", "B"]
ignore = ["S105", "B006"]

[tool.ruff.lint.per-file-ignores]
"tests/*" = ["S106", "S113"]
"""
SCRIPTS_RUFF = b"""[lint]
select = ["F"]
extend-ignore = ["S602"]
"""
FILES = {
    "pkg/__init__.py": b'from pkg.core import api\n\n__all__ = ["api"]\n',
    "pkg/core.py": b"""import requests

PASSWORD = "hunter2"


def api(x=[]):
    requests.get("https://a.example")  # noqa: S113
    token = "abc"  # nosec B105
    eval(x)  # nosec
    return requests.get("https://b.example")
""",
    "pkg/quiet.py": b'# ruff: noqa\nimport os\neval("2")\n',
    "pkg/bandit.py": b"""import subprocess


def run(cmd, text):
    subprocess.call(cmd, shell=True)  # nosec B602
    subprocess.call(text, shell=True)  # nosec B105 - a different test: still reported
    eval(text)  # nosec: eval_used_on_purpose is not a bandit test name, so it is blanket
""",
    "tests/test_api.py": b"""import requests


def test_api():
    requests.get("https://a.example")
    f(password="abc")
""",
    "scripts/run.py": b'import subprocess\n\nsubprocess.call("ls", shell=True)\neval("1")\n',
}


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    extra = {"pyproject.toml": PYPROJECT, "scripts/ruff.toml": SCRIPTS_RUFF}
    return write_tree(tmp_path / "project", {**FILES, **extra})


def lint(tree: SourceTree, mode: LintConfigMode = LintConfigMode.PROJECT) -> RuffRun:
    python = {f.path: f.data for f in tree.python_files()}
    return lint_python(python, {f.path: f.data for f in tree.toml_files}, mode)


def found(run: RuffRun) -> set[tuple[str, int, str]]:
    return {(f.path, f.line, f.rule_id) for f in run.findings}


def test_the_projects_choices_hold_and_coderevs_rules_are_added(project: Path) -> None:
    tree = read_source(project)
    assert [f.path for f in tree.toml_files] == ["pyproject.toml", "scripts/ruff.toml"]
    assert all(not f.path.endswith(".toml") for f in tree.files)  # never reviewed as code

    run = lint(tree)

    assert found(run) == {
        ("pkg/bandit.py", 6, "S602"),  # `# nosec B105` names another test
        ("pkg/core.py", 8, "F841"),
        ("pkg/core.py", 10, "S113"),  # coderev's addition: the project selects no S rule
        ("scripts/run.py", 3, "S607"),  # scripts/ruff.toml turns off S602 only
        ("scripts/run.py", 4, "S307"),
        ("tests/test_api.py", 6, "F821"),
    }
    config = run.configuration
    assert config.mode is LintConfigMode.PROJECT
    assert [(c.path, c.files) for c in config.configs] == [
        ("pyproject.toml", 5),
        ("scripts/ruff.toml", 1),
    ]
    root, scripts = config.configs
    assert "S113" in root.added_rules and "S307" in root.added_rules
    assert "S105" not in root.added_rules and "B006" not in root.added_rules  # ignored
    assert not any(code.startswith(("E", "F", "B0")) for code in root.added_rules)  # its own
    assert "S602" not in scripts.added_rules and "S607" in scripts.added_rules
    assert "B006" in scripts.added_rules  # that config neither selects nor ignores B
    assert (config.default_files, config.warnings) == (0, ())
    assert config.nosec_suppressed == 3


def test_isolated_brings_todays_findings_back(project: Path) -> None:
    run = lint(read_source(project), LintConfigMode.ISOLATED)

    rules = found(run)
    for hit in [
        ("pkg/core.py", 3, "S105"),  # ignored by the project
        ("pkg/core.py", 6, "B006"),
        ("pkg/core.py", 9, "S307"),  # bare `# nosec`
        ("scripts/run.py", 3, "S602"),  # extend-ignored by the nested ruff.toml
        ("tests/test_api.py", 5, "S113"),  # per-file-ignores
        ("tests/test_api.py", 6, "S106"),
    ]:
        assert hit in rules, hit
    assert not any(path == "pkg/quiet.py" for path, _, _ in rules)  # file exempted: both modes
    assert ("pkg/core.py", 7, "S113") not in rules  # a line exemption for S113: both modes
    assert not any(path == "pkg/__init__.py" for path, _, _ in rules)  # re-export in __all__
    assert run.configuration.mode is LintConfigMode.ISOLATED and not run.configuration.configs


def test_an_archive_keeps_its_configuration_files(project: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(project, arcname="synthetic-1.0")
    tree = read_archive_bytes("synthetic-1.0.tar.gz", buffer.getvalue())

    assert [f.path for f in tree.toml_files] == ["pyproject.toml", "scripts/ruff.toml"]
    assert found(lint(tree)) == found(lint(read_source(project)))


def test_nested_settings_files_follow_rufs_order_and_extend_chains(tmp_path: Path) -> None:
    files = {
        "ruff.toml": b'[lint]\nselect = ["F"]\nignore = ["S307"]\n',
        "pyproject.toml": b'[tool.ruff.lint]\nselect = ["S"]\n',  # ruff.toml wins beside it
        "lib/.ruff.toml": b'extend = "../ruff.toml"\n[lint]\nextend-ignore = ["S602"]\n',
        "lib/ruff.toml": b'[lint]\nselect = ["S"]\n',  # .ruff.toml wins beside it
        "a.py": b'eval("1")\n',
        "lib/b.py": b'import subprocess\n\nsubprocess.call("ls", shell=True)\neval("2")\n',
    }
    run = lint(read_source(write_tree(tmp_path, files)))

    assert found(run) == {("lib/b.py", 3, "S607")}  # S307 from the base, S602 its own
    assert [(c.path, c.extends) for c in run.configuration.configs] == [
        ("lib/.ruff.toml", ("ruff.toml",)),
        ("ruff.toml", ()),
    ]


def test_without_any_ruff_configuration_coderevs_selection_applies(tmp_path: Path) -> None:
    files = {"pyproject.toml": b'[project]\nname = "x"\n', "a.py": b'x = 1\neval("1")\n'}
    tree = read_source(write_tree(tmp_path, files))

    project, isolated = lint(tree), lint(tree, LintConfigMode.ISOLATED)

    assert found(project) == found(isolated) == {("a.py", 2, "S307")}
    assert (project.configuration.configs, project.configuration.default_files) == ((), 1)


HOST_BASE = b'[lint]\nignore = ["S307", "F401"]\n'  # if ruff read it, both would vanish


@pytest.mark.parametrize(
    "extend",
    [
        "{host}/base.toml",  # absolute
        "../host/base.toml",  # leaves the tree
        "~/base.toml",  # ruff expands ~ ...
        "$HOST_DIR/base.toml",  # ... and environment variables
        "missing.toml",  # not in the tree
    ],
)
def test_a_hostile_extend_never_reads_the_hosts_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extend: str
) -> None:
    host = tmp_path / "host"
    write_tree(host, {"base.toml": HOST_BASE})
    monkeypatch.setenv("HOME", str(host))
    monkeypatch.setenv("HOST_DIR", str(host))
    config = f'extend = "{extend.format(host=host)}"\n[lint]\nselect = ["F"]\n'.encode()
    files = {"ruff.toml": config, "a.py": b'import os\neval("1")\n'}
    tree = read_source(write_tree(tmp_path / "project", files))

    run = lint(tree)

    assert found(run) == {("a.py", 1, "F401"), ("a.py", 2, "S307")}
    (warning,) = run.configuration.warnings
    assert warning.startswith("ruff.toml left out: `extend")
    assert run.configuration.default_files == 1 and not run.configuration.configs


def test_no_user_configuration_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = write_tree(tmp_path / "home", {".config/ruff/ruff.toml": HOST_BASE})
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    files = {"lib/ruff.toml": b'[lint]\nselect = ["F"]\n', "a.py": b'import os\neval("1")\n'}

    run = lint(read_source(write_tree(tmp_path / "project", files)))

    assert found(run) == {("a.py", 1, "F401"), ("a.py", 2, "S307")}


@pytest.mark.parametrize(
    ("config", "why"),
    [
        (b"[lint\nselect = ", "not valid TOML"),
        (b'[lint]\nselect = ["F"]\nno-such-option = 1\n', "ruff refused it"),
        (b'[lint]\nignore = ["XYZ999"]\n', "ruff refused it"),
        (b'required-version = ">=99"\n', "ruff refused it"),
        (b'extend = "ruff.toml"\n', "circular"),
    ],
)
def test_a_broken_configuration_falls_back_to_coderevs_selection(
    tmp_path: Path, config: bytes, why: str
) -> None:
    files = {"ruff.toml": config, "pkg/a.py": b'import os\neval("1")\n'}

    run = lint(read_source(write_tree(tmp_path, files)))

    assert found(run) == {("pkg/a.py", 1, "F401"), ("pkg/a.py", 2, "S307")}
    (warning,) = run.configuration.warnings
    assert warning.startswith("ruff.toml left out") and why in warning
    assert "coderev-ruff-" not in warning  # the private copy's folder is not shown
    assert run.configuration.default_files == 1


def test_a_broken_pyproject_elsewhere_does_not_stop_ruff(tmp_path: Path) -> None:
    files = {
        "ruff.toml": b'[lint]\nselect = ["F"]\n',
        "docs/pyproject.toml": b"[project\n",
        "docs/conf.py": b"import os\n",
    }
    run = lint(read_source(write_tree(tmp_path, files)))

    assert found(run) == {("docs/conf.py", 1, "F401")}
    assert [w.split(":")[0] for w in run.configuration.warnings] == ["docs/pyproject.toml left out"]


def test_the_projects_exclude_holds_and_fix_is_never_applied(tmp_path: Path) -> None:
    files = {
        "ruff.toml": b'fix = true\nextend-exclude = ["gen"]\n[lint]\nselect = ["F"]\n',
        "gen/out.py": b"import os\n",
        "a.py": b"import sys\n",
    }
    root = write_tree(tmp_path, files)

    run = lint(read_source(root))

    assert found(run) == {("a.py", 1, "F401")}
    assert (root / "a.py").read_bytes() == b"import sys\n"
