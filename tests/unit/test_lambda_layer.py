"""The Lambda layer: what `sam build` ships is enough for every handler, and nothing more.

The layer's package is built by the rule `sam build` uses (layers/core/Makefile,
`layer-package`, into a temporary ARTIFACTS_DIR). Each handler is then imported in a fresh
Python (`-I -S`: no environment, no site, so no editable install of coderev) whose path is
the layer, the function's folder and the third-party packages, minus those the layer does not
install for the CLI (the pyproject dependencies that layers/core/requirements.txt leaves out,
and the `serve` extra): an import the layer cannot satisfy fails here as it would on Lambda.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import site
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "layers" / "core"
FUNCTIONS = sorted(p.parent for p in (ROOT / "functions").glob("*/app.py"))
LOCAL_ONLY = (
    "coderev.runtime",
    "coderev.cli",
    "coderev.cli_local",
    "coderev.cli_analyses",
    "coderev.cli_route",
    "coderev.cli_backup",
    "coderev.cli_remote",
    "coderev.console",
    "coderev.cli_experiments",
    "coderev.cli_promote",
    "coderev.providers.wire",
)

_IMPORT_ALL = r"""
import importlib, importlib.abc, importlib.util, json, sys
layer, functions, packages, blocked = json.loads(sys.argv[1])

class Blocked(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r} (not in the layer)")
        return None

sys.meta_path.insert(0, Blocked())
sys.path[:0] = [layer]
sys.path.extend(packages)
handlers = {}
for folder in functions:
    sys.path.insert(1, folder)
    spec = importlib.util.spec_from_file_location("app_" + folder.rsplit("/", 1)[-1],
                                                  folder + "/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    handlers[folder] = callable(module.lambda_handler)
    sys.path.remove(folder)
modules = json.loads(sys.argv[2])
for name in modules:
    importlib.import_module(name)
print(json.dumps({
    "handlers": handlers,
    "coderev_from": list(sys.modules["coderev"].__path__),
    "loaded": sorted(n for n in sys.modules if n.startswith("coderev")),
}))
"""


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    artifacts = tmp_path_factory.mktemp("CoreLayer")
    subprocess.run(
        ["make", "-s", "-C", str(SOURCE), "layer-package", f"ARTIFACTS_DIR={artifacts}"],
        check=True,
        capture_output=True,
    )
    return artifacts / "python"


def _local_only(module: str) -> bool:
    return any(module == m or module.startswith(f"{m}.") for m in LOCAL_ONLY)


def _module_names(layer: Path) -> list[str]:
    names = []
    for path in sorted((layer / "coderev").rglob("*.py")):
        parts = path.relative_to(layer).with_suffix("").parts
        if "versions" in parts or parts[-1] == "env":  # Alembic's scripts, run by Alembic
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        match = re.match(r"\s*([A-Za-z0-9._-]+)", line.split("#", 1)[0])
        if match:
            names.add(re.sub(r"[-_.]+", "-", match.group(1)).lower())
    return names


def _not_in_layer() -> list[str]:
    """Import names of what the CLI installs and the layer does not."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    serve = project["optional-dependencies"]["serve"]
    declared = _requirement_names(project["dependencies"] + serve)
    shipped = _requirement_names((SOURCE / "requirements.txt").read_text().splitlines())
    left_out = declared - shipped
    assert left_out, "the CLI's own dependencies (typer, rich, pyyaml) should be left out"
    by_distribution: dict[str, set[str]] = {}
    for top, distributions in packages_distributions().items():
        for distribution in distributions:
            key = re.sub(r"[-_.]+", "-", distribution).lower()
            by_distribution.setdefault(key, set()).add(top)
    return sorted(top for name in left_out for top in by_distribution.get(name, ()))


def test_the_layer_leaves_out_the_local_runtime_and_the_cli(layer: Path) -> None:
    assert not (layer / "coderev" / "runtime").exists()
    assert not (layer / "coderev" / "cli.py").exists()
    assert (layer / "coderev" / "bootstrap.py").is_file()
    shipped_data = {p.relative_to(layer) for p in (layer / "coderev").rglob("*.json")}
    source_data = {
        p.relative_to(SOURCE)
        for p in (SOURCE / "coderev").rglob("*.json")
        if "runtime" not in p.relative_to(SOURCE).parts
    }
    assert shipped_data == source_data  # the report schemas and the rule catalogue go along
    assert not list(layer.rglob("__pycache__"))


def test_every_handler_and_module_imports_with_only_the_layer(layer: Path) -> None:
    assert FUNCTIONS, "no functions/*/app.py found"
    blocked = _not_in_layer()
    assert {"typer", "rich", "yaml"} <= set(blocked)
    argument = json.dumps(
        [str(layer), [str(f) for f in FUNCTIONS], site.getsitepackages(), blocked]
    )
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _IMPORT_ALL, argument, json.dumps(_module_names(layer))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["handlers"] == {str(f): True for f in FUNCTIONS}
    assert result["coderev_from"] == [str(layer / "coderev")]
    assert "coderev.analysis.ruff_findings" in result["loaded"]
    assert not [n for n in result["loaded"] if _local_only(n)]


def test_no_module_of_the_layer_imports_the_runtime_or_the_cli(layer: Path) -> None:
    """Deferred imports too (inside functions, under TYPE_CHECKING): Lambda would only fail
    when the code path runs."""
    offending = []
    for path in sorted((layer / "coderev").rglob("*.py")):
        package = ".".join(path.relative_to(layer).parent.parts)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{anchor}.{base}" if base else anchor
                names = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                if _local_only(name):
                    offending.append(f"{path.relative_to(layer)}:{node.lineno} {name}")
    assert offending == []
