"""The code graph built and written in a pool worker is the graph built and written here, and
a write that fails there is raised when the command waits for it."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from coderev.adapters.background_graph import BackgroundWrites
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.code_graph import (
    build_code_graph,
    build_code_graph_from,
    code_graph_inputs,
)
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig, Thresholds
from coderev.domain.source import SourceFile
from coderev.pipeline import graph_writes, parallel
from coderev.pipeline.parallel import IN_PROCESS_BELOW
from coderev.pipeline.run import architecture_stage
from coderev.pipeline.shards import analyze_shard
from coderev.ports import GraphEdge, GraphNode, GraphScope


@pytest.fixture
def running_pool() -> Iterator[None]:
    """This process's shared pool of 2 workers, as `coderev review` of an archive starts it
    (warm_up); stopped after. The graph goes to a worker only when that pool runs."""
    parallel.warm_up(2)
    yield
    with parallel._pools_lock:
        pool = parallel._pools.pop(2, None)
    if pool is not None:
        pool.shutdown(cancel_futures=True)


def _module(i: int) -> str:
    # every kind of node, edge and property the graph has: relative, re-exported, dotted and
    # TYPE_CHECKING imports, external and stdlib modules, bases through them, nested members
    return (
        "from __future__ import annotations\n"
        "import json\n"
        "import requests\n"
        "from typing import TYPE_CHECKING\n"
        "from .. import Base\n"
        "import shop.base\n"
        f"from . import m{(i + 1) % 70}\n"
        "if TYPE_CHECKING:\n"
        "    from shop import base\n"
        f"class C{i}(Base):\n"
        "    class Meta: ...\n"
        "    def key(self, a, b=1):\n"
        "        if a:\n"
        "            return json.dumps(b)\n"
        "        return None\n"
        f"class D{i}(shop.base.Base, base.Mixin, dict): ...\n"
        "def place(x):\n"
        "    def validate(): ...\n"
        f"    return m{(i + 1) % 70}\n"
    )


@functools.cache
def _analyses() -> list[FileAnalysis]:
    sources = {
        "shop/__init__.py": "from .base import Base\n",
        "shop/base.py": "import abc\nclass Base(abc.ABC): ...\nclass Mixin: ...\n",
        "shop/parts/__init__.py": "",
        **{f"shop/parts/m{i}.py": _module(i) for i in range(70)},
    }
    files = [SourceFile(p, s.encode(), "python") for p, s in sorted(sources.items())]
    assert len(files) >= IN_PROCESS_BELOW  # a project worth a worker
    return analyze_shard(files, Thresholds(), 10.0)


def _graph(path: Path) -> tuple[list[GraphNode], list[GraphEdge], GraphScope | None]:
    with SqliteGraphStore(path) as store:
        return store.nodes("latest"), store.edges("latest"), store.scope("latest")


@pytest.mark.usefixtures("running_pool")
@pytest.mark.parametrize("jobs", [2, 1])
def test_the_graph_written_through_a_worker_is_the_one_written_here(
    jobs: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    analyses = _analyses()
    scope = GraphScope("shop", "1.0")
    here = tmp_path / "here.sqlite"
    with SqliteGraphStore(here) as store:
        architecture_stage(analyses, ProjectConfig(), store, "latest", scope)
    submitted: list[Future[Any] | None] = []
    running = graph_writes.running_pool

    def recording(jobs: int) -> Any:
        submit = running(jobs)
        if submit is None:
            return None

        def recorded(*args: Any) -> Future[Any] | None:
            submitted.append(submit(*args))
            return submitted[-1]

        return recorded

    monkeypatch.setattr(graph_writes, "running_pool", recording)
    writes = BackgroundWrites(SqliteGraphStore(tmp_path / "worker.sqlite"))
    architecture_stage(analyses, ProjectConfig(), writes, "latest", scope, jobs=jobs)
    writes.close()
    # two jobs: a worker of the running pool built and wrote it; one: no pool of one worker
    # runs, so it was built here and written on the thread
    assert [f is not None for f in submitted] == ([True] if jobs > 1 else [])
    nodes, edges, written_scope = _graph(tmp_path / "worker.sqlite")
    assert (nodes, edges, written_scope) == _graph(here)
    labels = {n.label for n in nodes}
    assert labels == {"Package", "Module", "Class", "Function"}
    assert {e.type for e in edges} == {"CONTAINS", "IMPORTS", "INHERITS"}
    assert len(nodes) > 300 and written_scope == scope


class _Unopenable:
    """A store whose worker-side twin cannot be opened (its directory does not exist)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def reopener(self) -> functools.partial[SqliteGraphStore]:
        return functools.partial(SqliteGraphStore, self.path)

    def write(self, graph_id: str, nodes: Iterable[GraphNode], edges: Iterable[GraphEdge], *,
              scope: GraphScope | None = None) -> None:  # fmt: skip
        raise AssertionError("the graph is written in the worker, not here")


@pytest.mark.usefixtures("running_pool")
def test_a_write_that_fails_in_the_worker_is_raised_when_the_command_waits(
    tmp_path: Path,
) -> None:
    unopenable = _Unopenable(tmp_path / "gone" / "graph.sqlite")
    writes = BackgroundWrites(unopenable)  # type: ignore[arg-type]
    analyses = _analyses()
    architecture = analyze_architecture(analyses, ProjectConfig())
    graph_writes.write_code_graph(writes, "latest", analyses, architecture, jobs=2)
    with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
        writes.close()


def test_what_a_worker_gets_builds_the_same_graph() -> None:
    analyses = _analyses()
    architecture = analyze_architecture(analyses, ProjectConfig())
    inputs = code_graph_inputs(analyses, architecture)
    assert build_code_graph_from(inputs) == build_code_graph(analyses, architecture)


def test_no_pool_is_started_for_the_graph(tmp_path: Path) -> None:
    """A directory's review has no pool left once its files are analysed: starting one for the
    graph alone would cost more than building it here."""
    analyses = _analyses()
    with parallel._pools_lock:
        assert 2 not in parallel._pools
    writes = BackgroundWrites(SqliteGraphStore(tmp_path / "graph.sqlite"))
    architecture_stage(analyses, ProjectConfig(), writes, "latest", jobs=2)
    writes.close()
    with parallel._pools_lock:
        assert 2 not in parallel._pools
    assert len(_graph(tmp_path / "graph.sqlite")[0]) > 300
