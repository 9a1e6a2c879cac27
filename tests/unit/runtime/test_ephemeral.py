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


def test_the_private_platform_does_not_wait_for_the_disk(
    embedded_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its objects and its execution history are not fsync'd (the dir goes with the review);
    the user's platform, before and after, still is."""
    from coderev import bootstrap
    from coderev.runtime.platform.serve import execution_store

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.delenv("CODEREV_DURABLE_WRITES", raising=False)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])

    def history_synchronous() -> int:
        with execution_store(get_settings())._connect() as db:
            return int(db.execute("PRAGMA synchronous").fetchone()[0])

    bootstrap.object_store().put("uploads/a.txt", b"kept")
    assert synced and history_synchronous() == 2  # FULL
    synced.clear()
    with ephemeral_platform():
        store = bootstrap.object_store()
        store.put("uploads/b.txt", b"gone with the review")
        assert store.reopener()().durable is False  # a worker's store too
        assert synced == [] and history_synchronous() == 0  # OFF
    assert "CODEREV_DURABLE_WRITES" not in os.environ
    bootstrap.object_store().put("uploads/c.txt", b"kept")
    assert synced


def test_the_private_platform_holds_its_analysis_work_in_memory(
    embedded_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its analyses write no work file (nothing else reads them, the dir goes); a worker's
    reopened store would write them (it cannot share this process's memory); the user's
    platform, before and after, writes them."""
    from coderev import bootstrap
    from coderev.pipeline.steps_work import ReviewOutcome, WorkKeys, write_document

    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.delenv("CODEREV_WORK_IN_MEMORY", raising=False)
    outcome = ReviewOutcome("a1", {"high": 1})
    with ephemeral_platform():
        store = bootstrap.object_store()
        write_document(store, WorkKeys("a1").outcome, outcome)
        assert list(store.list("work/")) == []
        assert not getattr(store.reopener()(), "work_in_memory", False)  # type: ignore[misc]
    assert "CODEREV_WORK_IN_MEMORY" not in os.environ
    store = bootstrap.object_store()
    write_document(store, WorkKeys("a1").outcome, outcome)
    assert [info.key for info in store.list("work/")] == [WorkKeys("a1").outcome]
