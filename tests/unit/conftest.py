"""What unit tests of several rooms share: a process on embedded defaults under tmp_path
(`embedded_data_dir`), a SAM app written to disk (`write_app`), and what a fresh interpreter
imports (`modules_loaded_by`). Test modules import the helpers:
`from tests.unit.conftest import ...`."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

BACKEND_VARIABLES = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT")
SAM_HEADER = "AWSTemplateFormatVersion: 2010-09-09\nTransform: AWS::Serverless-2016-10-31\n"


@pytest.fixture
def embedded_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This process on embedded defaults, its data dir tmp_path/data (never ~/.local): no
    backend variable, and the settings and bootstrap's adapters built afresh before and after."""
    from coderev import bootstrap

    for name in BACKEND_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


def write_app(
    root: Path,
    template: str,
    handlers: Mapping[str, str],
    files: Mapping[str, str] | None = None,
) -> Path:
    """A SAM app under `root`: each handler's source (dedented) as functions/<name>/app.py,
    `files` by name (a state machine's definition...) and template.yaml, the SAM header then
    `template` (its Globals, Resources...), whose path it returns."""
    for name, source in handlers.items():
        folder = root / "functions" / name
        folder.mkdir(parents=True)
        (folder / "app.py").write_text(textwrap.dedent(source))
    for name, text in (files or {}).items():
        (root / name).write_text(text)
    (root / "template.yaml").write_text(SAM_HEADER + template)
    return root / "template.yaml"


def modules_loaded_by(imports: str, watched: Iterable[str]) -> list[str]:
    """Which of `watched` a fresh interpreter has loaded once it ran `import <imports>`."""
    code = (
        f"import sys, {imports}; print(sorted(m for m in {tuple(watched)!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[str] = ast.literal_eval(out.stdout.strip())
    return loaded
