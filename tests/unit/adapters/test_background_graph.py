"""The direct review's code graph written beside the review: reads see every write before
them, writes keep their order (another process's too), and a failed write is raised, never
lost."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from coderev.adapters.background_graph import BackgroundWrites, in_background
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.ports import GraphEdge, GraphNode, GraphScope


def test_reads_see_the_writes_made_before_them_in_order(tmp_path: Path) -> None:
    store = BackgroundWrites(SqliteGraphStore(tmp_path / "graph.sqlite"))
    nodes = [GraphNode("m.a", "Module", {"path": "m/a.py"}), GraphNode("m.b", "Module", {})]
    edges = [GraphEdge("m.a", "m.b", "IMPORTS", {"line": 3})]
    store.write("latest", iter(nodes), iter(edges), scope=GraphScope("p", "1"))
    store.write("latest", nodes[:1], [])  # replaces the first, after it
    assert store.nodes("latest") == nodes[:1] and store.edges("latest") == []
    store.close()
    reopened = SqliteGraphStore(tmp_path / "graph.sqlite")
    assert reopened.nodes("latest") == nodes[:1]


class _Failing:
    def __init__(self) -> None:
        self.entered = threading.Event()

    def write(self, graph_id: str, nodes: Iterable[GraphNode], edges: Iterable[GraphEdge], *,
              scope: GraphScope | None = None) -> None:  # fmt: skip
        self.entered.set()
        raise OSError("disk full")


def test_a_failed_write_is_raised_when_the_command_waits_for_it() -> None:
    failing = _Failing()
    store = BackgroundWrites(failing)  # type: ignore[arg-type]
    store.write("latest", [], [])  # returns at once: the failure comes later
    assert failing.entered.wait(2)
    with pytest.raises(OSError, match="disk full"):
        store.close()


class _Cypher(_Failing):
    def query(self, graph_id: str, cypher: str, parameters: object = None) -> list[object]:
        return []


def test_only_a_store_nothing_reads_back_during_the_run_writes_in_the_background(
    tmp_path: Path,
) -> None:
    assert in_background(None) is None
    assert in_background(_Cypher()) is None  # type: ignore[arg-type]  # graph rules query it
    writes = in_background(SqliteGraphStore(tmp_path / "graph.sqlite"))
    assert isinstance(writes, BackgroundWrites)
    writes.close()


def test_a_write_another_process_makes_is_waited_for_in_turn(tmp_path: Path) -> None:
    store = BackgroundWrites(SqliteGraphStore(tmp_path / "graph.sqlite"))
    elsewhere: Future[None] = Future()
    made_again: list[str] = []
    store.written_elsewhere(elsewhere, again=lambda: made_again.append("here"))
    store.write("latest", [GraphNode("after", "Module")], [])  # waits for the other process
    threading.Timer(0.1, elsewhere.set_result, (None,)).start()
    assert store.nodes("latest") == [GraphNode("after", "Module")]
    store.close()
    assert made_again == []


def test_a_write_another_process_failed_is_raised_and_one_it_died_in_is_made_here() -> None:
    failed: Future[None] = Future()
    failed.set_exception(OSError("disk full"))
    store = BackgroundWrites(_Failing())  # type: ignore[arg-type]
    store.written_elsewhere(failed, again=lambda: None)
    with pytest.raises(OSError, match="disk full"):
        store.close()
    died: Future[None] = Future()
    died.set_exception(BrokenProcessPool("a worker was killed"))
    made_again: list[str] = []
    store = BackgroundWrites(_Failing())  # type: ignore[arg-type]
    store.written_elsewhere(died, again=lambda: made_again.append("here"))
    store.close()
    assert made_again == ["here"]


def test_the_store_is_reopened_elsewhere_only_when_another_process_can_see_it(
    tmp_path: Path,
) -> None:
    assert BackgroundWrites(SqliteGraphStore()).reopener() is None  # ":memory:"
    assert BackgroundWrites(_Failing()).reopener() is None  # type: ignore[arg-type]
    SqliteGraphStore(tmp_path / "graph.sqlite").write("latest", [GraphNode("a", "Module")], [])
    reopen = BackgroundWrites(SqliteGraphStore(tmp_path / "graph.sqlite")).reopener()
    assert reopen is not None
    with pickle.loads(pickle.dumps(reopen))() as reopened:  # as a worker gets it
        assert reopened.nodes("latest") == [GraphNode("a", "Module")]
