"""One GraphStore contract, run on the embedded SqliteGraphStore and on CypherGraphStore against
FalkorDB (the Cypher Neo4j and FalkorDB both accept; the Neo4j driver's session is tested in
tests/unit/adapters/test_neo4j_session.py). Then what only the Cypher store does: its schema,
user queries bound to one graph, and refusing what it cannot store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.adapters.cypher_graph import CypherGraphStore
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.adapters.falkordb import FalkorSession
from coderev.analysis.python_file import analyze_python_file
from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.code_graph import build_code_graph
from coderev.architecture.drift import architecture_drift
from coderev.domain.architecture import ArchitectureResult
from coderev.domain.config import ProjectConfig, Thresholds
from coderev.domain.errors import GraphStoreError
from coderev.ports import GraphEdge, GraphNode, GraphScope, GraphStore

pytestmark = pytest.mark.integration

Store = SqliteGraphStore | CypherGraphStore

SHOP = {
    "shop/__init__.py": "",
    "shop/domain/__init__.py": "from .models import Entity\n",
    "shop/domain/models.py": (
        "from abc import ABC\nclass Entity(ABC):\n    def key(self): ...\n"
        "class Order(Entity): ...\n"
    ),
    "shop/adapters/__init__.py": "",
    "shop/adapters/db.py": "import json\nfrom shop.domain.models import Order\n",
    "shop/services.py": (
        "from typing import TYPE_CHECKING\nfrom shop.domain import Entity\n"
        "if TYPE_CHECKING:\n    from shop.adapters import db\n"
        "def place():\n    def check(): ...\n"
    ),
}


def code_graph(
    files: dict[str, str],
) -> tuple[list[GraphNode], list[GraphEdge], ArchitectureResult]:
    analyses = [
        analyze_python_file(path, text.encode(), Thresholds())
        for path, text in sorted(files.items())
    ]
    result = analyze_architecture(analyses, ProjectConfig())
    nodes, edges = build_code_graph(analyses, result)
    return nodes, edges, result


@pytest.fixture(params=["sqlite", "falkordb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with SqliteGraphStore(tmp_path / "graph.sqlite") as sqlite:
            yield sqlite
        return
    url = request.getfixturevalue("falkordb_url")
    with CypherGraphStore(FalkorSession(url, f"contract-{uuid.uuid4().hex[:12]}")) as cypher:
        yield cypher
        cypher.session._graph.delete()  # type: ignore[attr-defined]


@pytest.fixture
def graph_id() -> str:
    return f"analysis-{uuid.uuid4().hex[:8]}"


def test_the_code_graph_round_trips(store: Store, graph_id: str) -> None:
    nodes, edges, _ = code_graph(SHOP)
    assert isinstance(store, GraphStore)
    store.write(graph_id, nodes, edges)
    assert store.nodes(graph_id) == sorted(nodes, key=lambda n: n.id)
    assert store.edges(graph_id) == edges  # in the order written
    assert {n.label for n in store.nodes(graph_id, label="Class")} == {"Class"}
    assert [n.id for n in store.nodes(graph_id, label="Class")] == [
        "class:shop.domain.models.Entity",
        "class:shop.domain.models.Order",
    ]
    inherits = store.edges(graph_id, type="INHERITS")
    assert [(e.source, e.target) for e in inherits] == [
        ("class:shop.domain.models.Order", "class:shop.domain.models.Entity")
    ]
    imports = store.edges(graph_id, type="IMPORTS")
    tc = next(e for e in imports if e.source == "module:shop.services" and "adapters" in e.target)
    assert tc.properties == {"lines": [4], "kind": "type-checking", "type_checking": True}


def test_properties_of_every_json_shape_come_back_equal(store: Store, graph_id: str) -> None:
    odd = {
        "text": 'quote " backslash \\ newline \n tab \t unicode é 漢字',
        "empty": "",
        "int": -7,
        "float": 0.1,
        "big": 2**53,
        "yes": True,
        "no": False,
        "none": None,
        "ints": [3, 1, 2],
        "mixed": [1, "a", None],
        "nested": {"a": [{"b": 1}], "c": {}},
        "no_items": [],
        "id": "not the node id",
        "graph": "not the graph id",
    }
    nodes = [GraphNode("a", "Module", odd), GraphNode("b:ü", "Function", {})]
    edges = [
        GraphEdge("a", "b:ü", "CONTAINS"),
        GraphEdge("a", "b:ü", "IMPORTS", odd),
        GraphEdge("a", "b:ü", "IMPORTS", {"lines": [9]}),  # a second edge of a type, kept
        GraphEdge("b:ü", "a", "CALLS", {}),
    ]
    store.write(graph_id, nodes, edges)
    assert store.nodes(graph_id) == nodes
    assert store.edges(graph_id) == edges
    assert store.edges(graph_id, type="IMPORTS") == edges[1:3]


def test_a_write_replaces_the_graph_and_leaves_others_alone(store: Store, graph_id: str) -> None:
    other = graph_id + "-other"
    store.write(other, [GraphNode("x", "Module")], [])
    store.write(graph_id, [GraphNode("a", "Module"), GraphNode("b", "Module")],
                [GraphEdge("a", "b", "IMPORTS", {"lines": [1]})])  # fmt: skip
    store.write(graph_id, [GraphNode("c", "Package", {"n": 1})], [])
    assert store.nodes(graph_id) == [GraphNode("c", "Package", {"n": 1})]
    assert store.edges(graph_id) == []
    assert store.nodes(other) == [GraphNode("x", "Module")]
    store.delete(graph_id)
    assert store.nodes(graph_id) == [] and store.edges(graph_id) == []
    assert store.nodes(other) == [GraphNode("x", "Module")]
    assert store.graph_ids() == [other]


def test_graphs_are_filed_under_their_project_and_version(store: Store, graph_id: str) -> None:
    store.write(graph_id, [GraphNode("a", "Module")], [], scope=GraphScope("shop", "1.2"))
    store.write(graph_id + "-2", [GraphNode("a", "Module")], [], scope=GraphScope("shop"))
    store.write(graph_id + "-3", [GraphNode("a", "Module")], [])
    assert store.scope(graph_id) == GraphScope("shop", "1.2")
    assert store.scope(graph_id + "-2") == GraphScope("shop", None)
    assert store.scope(graph_id + "-3") == GraphScope(None, None)
    assert store.scope("never-written") is None
    store.delete(graph_id)
    assert store.scope(graph_id) is None


def test_import_drift_from_the_stored_graphs_matches_architecture_drift(
    store: Store, graph_id: str
) -> None:
    before_nodes, before_edges, before = code_graph(SHOP)
    changed = {
        **SHOP,
        "shop/domain/models.py": SHOP["shop/domain/models.py"] + "import shop.adapters.db\n",
    }
    del changed["shop/services.py"]
    after_nodes, after_edges, after = code_graph(changed)
    store.write(graph_id + "-base", before_nodes, before_edges)
    store.write(graph_id, after_nodes, after_edges)
    new, removed = store.import_drift(graph_id + "-base", graph_id)
    expected = architecture_drift(before, after)
    assert new == list(expected.new_imports) == [("shop.domain.models", "shop.adapters.db")]
    assert removed == list(expected.removed_imports)
    assert ("shop.services", "shop.domain") in removed


def test_bootstrap_selects_falkordb_by_neo4j_uri(
    falkordb_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coderev import bootstrap
    from coderev.config import get_settings

    graph = f"bootstrap-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("NEO4J_URI", falkordb_url)
    monkeypatch.setenv("CODEREV_GRAPH_DATABASE", graph)
    bootstrap.reset()
    try:
        store = bootstrap.graph_store(get_settings(), tmp_path / "graph.sqlite")
        assert isinstance(store, CypherGraphStore)
        store.write("g", [GraphNode("a", "Module")], [])
        assert store.nodes("g") == [GraphNode("a", "Module")]
        assert not (tmp_path / "graph.sqlite").exists()
        store.session._graph.delete()  # type: ignore[attr-defined]
    finally:
        bootstrap.reset()


# --- the Cypher store only ------------------------------------------------------------------


@pytest.fixture
def cypher(falkordb_url: str) -> Iterator[CypherGraphStore]:
    with CypherGraphStore(FalkorSession(falkordb_url, f"cypher-{uuid.uuid4().hex[:12]}")) as s:
        yield s
        s.session._graph.delete()  # type: ignore[attr-defined]


def test_the_schema_indexes_every_lookup_key(cypher: CypherGraphStore) -> None:
    cypher.write("g", [GraphNode("a", "Module")], [])
    indexed = {
        (row["label"], tuple(row["properties"]))
        for row in cypher.session.read(
            "CALL db.indexes() YIELD label, properties RETURN label, properties", {}
        )
    }
    assert ("CodeNode", ("graph", "id")) in indexed
    assert ("Analysis", ("graph",)) in indexed
    assert ("Project", ("name",)) in indexed


def test_a_user_query_sees_only_its_graph_and_cannot_write(cypher: CypherGraphStore) -> None:
    nodes, edges, _ = code_graph(SHOP)
    cypher.write("one", nodes, edges)
    cypher.write("two", nodes, edges)
    rule = (
        "MATCH (a:Module {graph: $graph})-[:IMPORTS]->(b:Module {graph: $graph}) "
        "WHERE a.name STARTS WITH $layer AND b.name STARTS WITH 'shop.domain' "
        "RETURN a.name AS importer, b.name AS imported ORDER BY importer, imported"
    )
    assert cypher.query("one", rule, {"layer": "shop.adapters"}) == [
        {"importer": "shop.adapters.db", "imported": "shop.domain.models"}
    ]
    with pytest.raises(GraphStoreError):
        cypher.query("one", "MATCH (n:CodeNode {graph: $graph}) DETACH DELETE n")
    assert len(cypher.nodes("one")) == len(nodes)


def test_what_cypher_cannot_hold_is_refused_before_anything_is_written(
    cypher: CypherGraphStore,
) -> None:
    cypher.write("g", [GraphNode("a", "Module")], [])
    with pytest.raises(ValueError, match="label"):
        cypher.write("g", [GraphNode("a", "Module`) DETACH DELETE n //")], [])
    with pytest.raises(ValueError, match="lacks"):
        cypher.write("g", [GraphNode("a", "Module")], [GraphEdge("a", "ghost", "IMPORTS")])
    assert cypher.nodes("g") == [GraphNode("a", "Module")]
