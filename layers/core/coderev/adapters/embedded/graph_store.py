"""The embedded GraphStore: the code graph in two SQLite tables, handed back as networkx.

One database holds many graphs, keyed by graph id; `write` replaces a graph whole, in one
transaction. Properties are stored as JSON, so they must be JSON values (str, int, float, bool,
None, lists and dicts of those). `networkx_graph` gives a MultiDiGraph (a DiGraph subclass that
can hold a package's CONTAINS and IMPORTS edges to the same module side by side).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from coderev.ports import GraphEdge, GraphNode, GraphScope

if TYPE_CHECKING:
    import networkx as nx

_SCHEMA = """
CREATE TABLE IF NOT EXISTS graph_nodes (
    graph_id TEXT NOT NULL,
    id TEXT NOT NULL,
    label TEXT NOT NULL,
    properties TEXT NOT NULL,
    PRIMARY KEY (graph_id, id)
);
CREATE TABLE IF NOT EXISTS graph_edges (
    graph_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    type TEXT NOT NULL,
    properties TEXT NOT NULL,
    PRIMARY KEY (graph_id, seq)
);
CREATE TABLE IF NOT EXISTS graph_scopes (
    graph_id TEXT PRIMARY KEY,
    project TEXT,
    version TEXT
);
CREATE INDEX IF NOT EXISTS graph_nodes_label ON graph_nodes (graph_id, label);
CREATE INDEX IF NOT EXISTS graph_edges_type ON graph_edges (graph_id, type);
"""


class SqliteGraphStore:
    """GraphStore on SQLite (a file, or ":memory:"). Safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def write(
        self,
        graph_id: str,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        *,
        scope: GraphScope | None = None,
    ) -> None:
        node_rows = [(graph_id, n.id, n.label, _dumps(n.properties)) for n in nodes]
        edge_rows = [
            (graph_id, i, e.source, e.target, e.type, _dumps(e.properties))
            for i, e in enumerate(edges)
        ]
        with self._lock, self._db:
            self._db.execute("DELETE FROM graph_nodes WHERE graph_id = ?", (graph_id,))
            self._db.execute("DELETE FROM graph_edges WHERE graph_id = ?", (graph_id,))
            self._db.executemany("INSERT INTO graph_nodes VALUES (?, ?, ?, ?)", node_rows)
            self._db.executemany("INSERT INTO graph_edges VALUES (?, ?, ?, ?, ?, ?)", edge_rows)
            self._db.execute(
                "INSERT OR REPLACE INTO graph_scopes VALUES (?, ?, ?)",
                (graph_id, scope.project if scope else None, scope.version if scope else None),
            )

    def nodes(self, graph_id: str, label: str | None = None) -> list[GraphNode]:
        sql = "SELECT id, label, properties FROM graph_nodes WHERE graph_id = ?"
        args: tuple[str, ...] = (graph_id,)
        if label is not None:
            sql, args = sql + " AND label = ?", (graph_id, label)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        return [GraphNode(i, lab, _loads(props)) for i, lab, props in rows]

    def edges(self, graph_id: str, type: str | None = None) -> list[GraphEdge]:
        sql = "SELECT source, target, type, properties FROM graph_edges WHERE graph_id = ?"
        args: tuple[str, ...] = (graph_id,)
        if type is not None:
            sql, args = sql + " AND type = ?", (graph_id, type)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        return [GraphEdge(s, t, ty, _loads(props)) for s, t, ty, props in rows]

    def delete(self, graph_id: str) -> None:
        with self._lock, self._db:
            self._db.execute("DELETE FROM graph_nodes WHERE graph_id = ?", (graph_id,))
            self._db.execute("DELETE FROM graph_edges WHERE graph_id = ?", (graph_id,))
            self._db.execute("DELETE FROM graph_scopes WHERE graph_id = ?", (graph_id,))

    def scope(self, graph_id: str) -> GraphScope | None:
        """The project and version a graph was written under (None: no such graph)."""
        with self._lock:
            row = self._db.execute(
                "SELECT project, version FROM graph_scopes WHERE graph_id = ?", (graph_id,)
            ).fetchone()
        return GraphScope(row[0], row[1]) if row else None

    def import_drift(
        self, baseline_id: str, current_id: str
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(new, removed) IMPORTS between internal modules of `current_id` against
        `baseline_id`, as sorted (importer, imported) module names (as CypherGraphStore's)."""
        return self._imports_absent(current_id, baseline_id), self._imports_absent(
            baseline_id, current_id
        )

    def _imports_absent(self, graph_id: str, other_id: str) -> list[tuple[str, str]]:
        # internal: both ends are nodes of the graph whose `external` is not true
        # EXCEPT, not NOT EXISTS: no index serves (source, target), and a correlated scan of
        # Django's 10,000 IMPORTS edges per edge took 26 s
        sql = """
            WITH absent AS (
                SELECT source, target FROM graph_edges WHERE graph_id = ? AND type = 'IMPORTS'
                EXCEPT
                SELECT source, target FROM graph_edges WHERE graph_id = ? AND type = 'IMPORTS')
            SELECT json_extract(a.properties, '$.name'), json_extract(b.properties, '$.name')
            FROM absent e
            JOIN graph_nodes a ON a.graph_id = ? AND a.id = e.source
            JOIN graph_nodes b ON b.graph_id = ? AND b.id = e.target
            WHERE coalesce(json_extract(a.properties, '$.external'), 0) = 0
              AND coalesce(json_extract(b.properties, '$.external'), 0) = 0
            GROUP BY 1, 2 ORDER BY 1, 2
        """
        with self._lock:
            rows = self._db.execute(sql, (graph_id, other_id, graph_id, graph_id)).fetchall()
        return [(a, b) for a, b in rows]

    def graph_ids(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT graph_id FROM graph_nodes UNION "
                "SELECT graph_id FROM graph_scopes ORDER BY 1"
            )
            return [r[0] for r in rows.fetchall()]

    def networkx_graph(self, graph_id: str, type: str | None = None) -> nx.MultiDiGraph:
        """The stored graph: node attributes `label` + properties, edge key = edge type."""
        import networkx as nx  # only when asked for: importing it costs 0.3 s

        graph = nx.MultiDiGraph(graph_id=graph_id)
        for n in self.nodes(graph_id):
            graph.add_node(n.id, **{**n.properties, "label": n.label})
        for e in self.edges(graph_id, type):
            graph.add_edge(e.source, e.target, key=e.type, **{**e.properties, "type": e.type})
        return graph

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteGraphStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_DECODE = json.JSONDecoder().decode


def _dumps(properties: Any) -> str:
    # Most CONTAINS edges carry no properties: skip the encoder for them.
    return _ENCODER.encode(dict(properties)) if properties else "{}"


def _loads(text: str) -> dict[str, Any]:
    value: dict[str, Any] = _DECODE(text) if text != "{}" else {}
    return value
