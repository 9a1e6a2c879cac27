"""What only the embedded SqliteGraphStore does (its contract with the Cypher store is in
tests/integration/test_graph_store_contract.py): the two ways a write deletes the graph it
replaces, and the JSON text of properties."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest

from coderev.adapters.embedded.graph_store import SqliteGraphStore, _dumps, _loads
from coderev.ports import GraphEdge, GraphNode


def test_rewriting_the_only_graph_replaces_it_whole(tmp_path: Path) -> None:
    with SqliteGraphStore(tmp_path / "graph.sqlite") as store:
        store.write("g", [GraphNode("a", "Module"), GraphNode("b", "Module")],
                    [GraphEdge("a", "b", "IMPORTS", {"lines": [1]})])  # fmt: skip
        store.write("g", [GraphNode("c", "Package", {"n": 1})], [])
        assert store.nodes("g") == [GraphNode("c", "Package", {"n": 1})]
        assert store.edges("g") == []
        assert store.graph_ids() == ["g"]


def test_a_graph_of_edges_only_or_nodes_only_is_not_deleted_with_another(tmp_path: Path) -> None:
    with SqliteGraphStore(tmp_path / "graph.sqlite") as store:
        store.write("edges", [], [GraphEdge("x", "y", "IMPORTS")])
        store.write("nodes", [GraphNode("x", "Module")], [])
        store.write("g", [GraphNode("a", "Module")], [GraphEdge("a", "a", "IMPORTS")])
        store.write("g", [GraphNode("b", "Module")], [])
        assert store.edges("edges") == [GraphEdge("x", "y", "IMPORTS")]
        assert store.nodes("nodes") == [GraphNode("x", "Module")]
        assert store.nodes("g") == [GraphNode("b", "Module")] and store.edges("g") == []


@pytest.mark.parametrize(
    "properties",
    [
        {},
        {"name": "shop.orders", "line": 7, "external": False, "stdlib": None},
        {"z": 1, "a": [1, 2.5, "é\n"], "m": {"y": True, "b": -0.0}},
        {"nan": float("nan"), "inf": float("inf")},
        MappingProxyType({"b": 1, "a": 2}),
    ],
)
def test_properties_are_the_json_text_of_the_sorted_compact_encoder(properties: object) -> None:
    text = _dumps(properties)
    assert text == json.dumps(dict(properties), sort_keys=True, separators=(",", ":"))  # type: ignore[call-overload]
    assert json.dumps(_loads(text), sort_keys=True) == json.dumps(dict(properties), sort_keys=True)  # type: ignore[call-overload]


def test_a_value_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        _dumps({"when": object()})
    assert _dumps({"a": 1}) == '{"a":1}'  # the shared encoder is unharmed
