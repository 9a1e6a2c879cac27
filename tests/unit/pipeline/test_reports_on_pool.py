"""The Review step renders its reports on this process's worker pool when one is running (the
local platform's), the same reports as in-process; it never starts one for them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from tests.unit.pipeline.test_steps import Platform, comparable, direct, sample_archive

from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.analyses.sql_repository import SqlAnalysisRepository, database_url
from coderev.migrations import open_repository
from coderev.pipeline import parallel, steps
from coderev.reports import render_reports, to_json_dict

WORKERS = 2


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    records = open_repository(SqlAnalysisRepository, database_url(None, tmp_path / "data"))
    yield Platform(LocalObjectStore(tmp_path / "bucket"), records, InMemoryEventBus())
    records.close()


@pytest.fixture
def running_pool() -> Iterator[None]:
    """This process's shared pool of WORKERS, as `coderev review` starts it; stopped after."""
    parallel.warm_up(WORKERS)
    yield
    with parallel._pools_lock:
        pool = parallel._pools.pop(WORKERS, None)
    if pool is not None:
        pool.shutdown(cancel_futures=True)


@pytest.fixture
def rendered_on_pool(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The formats of each task the Review step hands to the pool."""
    tasks: list[tuple[str, ...]] = []
    running_pool = parallel.running_pool

    def recording(jobs: int) -> Any:
        submit = running_pool(jobs)
        if submit is None:
            return None

        def recorded(fn: Any, *args: Any) -> Future[Any] | None:
            future = submit(fn, *args)
            if future is not None:
                tasks.append(args[1])
            return future

        return recorded

    monkeypatch.setattr(parallel, "running_pool", recording)
    return tasks


@pytest.mark.usefixtures("running_pool")
@pytest.mark.parametrize("jobs", [WORKERS, 1])
def test_the_review_step_renders_on_the_running_pool(
    platform: Platform, rendered_on_pool: list[tuple[str, ...]], jobs: int
) -> None:
    data = sample_archive()
    record = platform.upload(data)
    index = steps.index(platform.store, platform.records, record.id)
    for item in index["shards"]:
        steps.analyze_shard(platform.store, record.id, item["shard"])
    steps.ruff(platform.store, record.id)
    steps.architecture(platform.store, record.id)
    steps.review(platform.store, record.id, jobs=jobs)
    steps.finalize(platform.store, platform.records, platform.bus, record.id)

    expected = direct(data, "shop.tar.gz")
    assert comparable(json.loads(platform.report(record.id))) == comparable(to_json_dict(expected))
    rendered = render_reports(expected, ("sarif", "md"))
    assert platform.report(record.id, "report.sarif").decode() == rendered["sarif"]
    assert platform.report(record.id, "report.md").decode() == rendered["md"]
    assert b"</html>" in platform.report(record.id, "report.html")
    on_pool = sorted(f for task in rendered_on_pool for f in task)
    assert on_pool == (["html", "md", "sarif"] if jobs == WORKERS else [])


def test_no_pool_is_started_for_the_reports() -> None:
    jobs = 3  # a pool size nothing in the tests starts
    assert parallel.running_pool(jobs) is None
    assert jobs not in parallel._pools


@pytest.mark.usefixtures("running_pool")
def test_a_running_pool_takes_the_work() -> None:
    submit = parallel.running_pool(WORKERS)
    assert submit is not None
    future = submit(max, 1, 2)
    assert future is not None and future.result() == 2
