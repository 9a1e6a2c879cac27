"""The code graph (modules, classes, functions and their edges) and its SQLite store."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import networkx as nx

from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.code_graph import build_code_graph
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.ports import GraphEdge, GraphNode, GraphStore

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]

TREE = {
    "shop/__init__.py": "",
    "shop/domain/__init__.py": "from .models import Entity\n",  # re-export
    "shop/domain/models.py": (
        "from abc import ABC\n"
        "class Entity(ABC):\n"
        "    class Meta: ...\n"
        "    def key(self): ...\n"
        "class Order(Entity): ...\n"
    ),
    "shop/services/__init__.py": "",
    "shop/services/orders.py": (
        "from shop.domain import Entity\n"
        "import shop.domain.models\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from shop.domain import models\n"
        "class Invoice(Entity): ...\n"
        "class Line(shop.domain.models.Order): ...\n"
        "class Note(models.Entity, dict): ...\n"
        "def place():\n"
        "    def validate(): ...\n"
    ),
}


def graph(analyse: Analyse) -> tuple[list[GraphNode], list[GraphEdge]]:
    files = analyse(TREE)
    return build_code_graph(files, analyze_architecture(files, ProjectConfig()))


def edge_set(edges: list[GraphEdge], kind: str) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in edges if e.type == kind}


def test_nodes_by_label(analyse: Analyse) -> None:
    nodes, _ = graph(analyse)
    labels = {n.id: n.label for n in nodes}
    assert labels["module:shop"] == "Package"
    assert labels["module:shop.services.orders"] == "Module"
    assert labels["class:shop.domain.models.Entity.Meta"] == "Class"
    assert labels["function:shop.services.orders.place.validate"] == "Function"
    typing_node = next(n for n in nodes if n.id == "module:typing")
    assert typing_node.properties == {"name": "typing", "external": True, "stdlib": True}
    entity = next(n for n in nodes if n.id == "class:shop.domain.models.Entity")
    assert entity.properties["abstract"] is True


def test_contains_edges(analyse: Analyse) -> None:
    _, edges = graph(analyse)
    contains = edge_set(edges, "CONTAINS")
    assert ("module:shop", "module:shop.domain") in contains
    assert ("module:shop.domain", "module:shop.domain.models") in contains
    assert ("module:shop.domain.models", "class:shop.domain.models.Entity") in contains
    assert ("class:shop.domain.models.Entity", "class:shop.domain.models.Entity.Meta") in contains
    assert ("class:shop.domain.models.Entity", "function:shop.domain.models.Entity.key") in contains
    assert (
        "function:shop.services.orders.place",
        "function:shop.services.orders.place.validate",
    ) in contains


def test_inherits_resolves_local_imported_reexported_and_dotted_bases(analyse: Analyse) -> None:
    _, edges = graph(analyse)
    assert edge_set(edges, "INHERITS") == {
        ("class:shop.domain.models.Order", "class:shop.domain.models.Entity"),
        ("class:shop.services.orders.Invoice", "class:shop.domain.models.Entity"),
        ("class:shop.services.orders.Line", "class:shop.domain.models.Order"),
        ("class:shop.services.orders.Note", "class:shop.domain.models.Entity"),
    }


def test_imports_edges_once_per_pair_with_lines(analyse: Analyse) -> None:
    _, edges = graph(analyse)
    imports = {(e.source, e.target): e.properties for e in edges if e.type == "IMPORTS"}
    assert imports[("module:shop.services.orders", "module:shop.domain.models")] == {
        "lines": [2, 5],
        "kind": "import-time",
        "type_checking": False,
    }
    assert imports[("module:shop.services.orders", "module:shop.domain")] == {
        "lines": [1],
        "kind": "import-time",
        "type_checking": False,
    }


def test_sqlite_store_round_trip(analyse: Analyse, tmp_path: Path) -> None:
    nodes, edges = graph(analyse)
    path = tmp_path / "graph.sqlite"
    with SqliteGraphStore(path) as store:
        assert isinstance(store, GraphStore)
        store.write("run-1", nodes, edges)
        store.write("run-2", nodes[:1], [])
    with SqliteGraphStore(str(path)) as reopened:
        assert reopened.nodes("run-1") == sorted(nodes, key=lambda n: n.id)
        assert reopened.edges("run-1") == edges
        assert [n.label for n in reopened.nodes("run-1", label="Function")] == ["Function"] * 3
        assert {e.type for e in reopened.edges("run-1", type="INHERITS")} == {"INHERITS"}
        assert reopened.graph_ids() == ["run-1", "run-2"]
        g = reopened.networkx_graph("run-1")
        assert isinstance(g, nx.DiGraph)
        assert g.number_of_nodes() == len(nodes) and g.number_of_edges() == len(edges)
        assert g.nodes["class:shop.domain.models.Entity"]["label"] == "Class"
        assert g.has_edge("module:shop.domain", "module:shop.domain.models", key="CONTAINS")
        assert g.has_edge("module:shop.domain", "module:shop.domain.models", key="IMPORTS")
        reopened.delete("run-1")
        assert reopened.nodes("run-1") == [] and reopened.edges("run-1") == []
        assert len(reopened.nodes("run-2")) == 1


def test_write_replaces_the_graph_whole_and_is_thread_safe() -> None:
    store = SqliteGraphStore()
    store.write(
        "g",
        [GraphNode("a", "Module"), GraphNode("b", "Module")],
        [GraphEdge("a", "b", "IMPORTS", {"lines": [1]})],
    )
    store.write("g", [GraphNode("c", "Module", {"x": 1})], [])
    assert store.nodes("g") == [GraphNode("c", "Module", {"x": 1})]
    assert store.edges("g") == []

    def writer(i: int) -> None:
        store.write(f"t{i}", [GraphNode(f"n{i}", "Module")], [])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.graph_ids()) == 9
