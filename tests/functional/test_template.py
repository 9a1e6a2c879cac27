"""template.yaml passes cfn-lint and `sam validate --lint`, and `sam build` builds every
function and the core layer from it, offline. Slow (sam build installs the layer's
dependencies with pip); part of `make test`.

sam comes from SAM_CLI, else `.venv-sam/bin/sam` (`make sam-venv`), else PATH; missing, the
tests fail rather than skip: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "SAM_CLI_TELEMETRY": "0"}
FUNCTIONS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def _sam() -> str:
    candidates = [os.environ.get("SAM_CLI"), str(ROOT / ".venv-sam" / "bin" / "sam"),
                  shutil.which("sam")]  # fmt: skip
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("aws-sam-cli not found: run `make sam-venv` or set SAM_CLI")


def _run(*command: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env or ENV, capture_output=True, text=True,
                          timeout=900, check=False)  # fmt: skip
    assert done.returncode == 0, f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def _template(path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    """A SAM template as data; short-form tags become {"Tag": value}."""

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
        return {suffix: loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode)
                else loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
                else loader.construct_mapping(node)}  # fmt: skip

    Loader.add_multi_constructor("!", tag)
    loaded: dict[str, Any] = yaml.load(path.read_text(), Loader)
    return loaded


def test_cfn_lint_passes() -> None:
    _run(str(Path(sys.executable).with_name("cfn-lint")), "template.yaml")


def test_sam_validate_lint_passes() -> None:
    assert "is a valid SAM Template" in _run(_sam(), "validate", "--lint")


def test_every_function_folder_is_a_function_of_the_template() -> None:
    resources = _template()["Resources"]
    code_uris = sorted(
        r["Properties"]["CodeUri"].strip("/").removeprefix("functions/")
        for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
    )  # fmt: skip
    assert code_uris == FUNCTIONS


def test_every_kafka_trigger_takes_one_topic_under_a_consumer_group_of_its_own() -> None:
    """Lambda's self-managed Kafka event source mapping takes exactly one topic (the
    resource schema's Topics maxItems is 1), and its consumer group id must be unique among
    the account's Kafka mappings; cfn-lint does not see either through the SAM transform."""
    groups = []
    for name, resource in _template()["Resources"].items():
        for event_name, event in resource.get("Properties", {}).get("Events", {}).items():
            if event.get("Type") != "SelfManagedKafka":
                continue
            assert len(event["Properties"]["Topics"]) == 1, f"{name}.{event_name}"
            groups.append(event["Properties"]["ConsumerGroupId"])
    assert groups and len(groups) == len(set(groups))


def test_sam_build_builds_the_functions_and_the_layer(tmp_path: Path) -> None:
    build = tmp_path / "build"
    # pip's python3.12 must be on PATH for the python3.12 runtime: the venv's own
    env = {**ENV, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{ENV.get('PATH', '')}"}
    _run(_sam(), "build", "--build-dir", str(build), env=env)

    layer = build / "CoreLayer" / "python"
    assert (layer / "coderev" / "bootstrap.py").is_file()
    assert (layer / "aws_lambda_powertools").is_dir()
    assert (layer / "pydantic").is_dir() and (layer / "sqlalchemy").is_dir()
    # Lambda never runs the local platform or the CLI: the layer leaves them out
    assert not (layer / "coderev" / "runtime").exists()
    assert not (layer / "coderev" / "cli.py").exists()
    # where `pip install --target` puts ruff and ruff's find_ruff_bin looks (Ruff step)
    assert (layer / "bin" / "ruff").is_file()
    built = _template(build / "template.yaml")
    functions = {k: v for k, v in built["Resources"].items()
                 if v["Type"] == "AWS::Serverless::Function"}  # fmt: skip
    assert len(functions) == len(FUNCTIONS)
    for logical_id in functions:
        assert (build / logical_id / "app.py").is_file(), logical_id
