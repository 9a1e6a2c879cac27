"""A default `coderev review`'s private platform: its own data dir and no code graph (nobody
could read one), both undone when the review ends."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coderev.config import get_settings
from coderev.runtime.platform.ephemeral import ephemeral_platform


@pytest.mark.parametrize("before", [None, "true"])
def test_the_private_platform_writes_no_code_graph_and_restores_the_environment(
    embedded_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, before: str | None
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    if before is None:
        monkeypatch.delenv("CODEREV_CODE_GRAPH", raising=False)
    else:
        monkeypatch.setenv("CODEREV_CODE_GRAPH", before)
    assert get_settings().code_graph
    with ephemeral_platform() as run_dir:
        settings = get_settings()
        assert settings.data_dir == run_dir and not settings.code_graph
    assert not run_dir.exists()
    assert os.environ.get("CODEREV_CODE_GRAPH") == before
    assert os.environ["CODEREV_DATA_DIR"] == str(embedded_data_dir)
