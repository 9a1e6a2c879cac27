"""The embedded GraphStore: the code graph in two SQLite tables, handed back as networkx.

One database holds many graphs, keyed by graph id; `write` replaces a graph whole, in one
transaction. Properties are stored as JSON, so they must be JSON values (str, int, float, bool,
None, lists and dicts of those). `networkx_graph` gives a MultiDiGraph (a DiGraph subclass that
can hold a package's CONTAINS and IMPORTS edges to the same module side by side).
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
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

_GRAPH_ID_BOUNDS = tuple(
    f"SELECT {bound}(graph_id) FROM {table}"  # noqa: S608 (constants)
    for table in ("graph_nodes", "graph_edges")
    for bound in ("min", "max")
)


class SqliteGraphStore:
    """GraphStore on SQLite (a file, or ":memory:"). Safe to share between threads."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self._path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def reopener(self) -> Callable[[], SqliteGraphStore] | None:
        """A picklable way to open this store again in another process (a pool worker that
        writes the code graph, see coderev.pipeline.graph_writes); None for ":memory:", which
        no other connection sees."""
        if str(self._path) in (":memory:", ""):
            return None
        return functools.partial(SqliteGraphStore, Path(self._path).resolve())

    def write(
        self,
        graph_id: str,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        *,
        scope: GraphScope | None = None,
    ) -> None:
        # rows made as SQLite asks for them: Django's 100k rows of JSON are never all held
        node_rows = ((graph_id, n.id, n.label, _dumps(n.properties)) for n in nodes)
        edge_rows = (
            (graph_id, i, e.source, e.target, e.type, _dumps(e.properties))
            for i, e in enumerate(edges)
        )
        with self._lock, self._db:
            # first: this INSERT opens the transaction and takes the write lock, so no other
            # connection adds a graph between _delete_rows' look and its delete
            self._db.execute(
                "INSERT OR REPLACE INTO graph_scopes VALUES (?, ?, ?)",
                (graph_id, scope.project if scope else None, scope.version if scope else None),
            )
            self._delete_rows(graph_id)
            self._db.executemany("INSERT INTO graph_nodes VALUES (?, ?, ?, ?)", node_rows)
            self._db.executemany("INSERT INTO graph_edges VALUES (?, ?, ?, ?, ?, ?)", edge_rows)

    def _delete_rows(self, graph_id: str) -> None:
        """Delete the graph's nodes and edges (in the caller's transaction).

        When no other graph has a row in either table (the CLI's out/graph.sqlite holds one
        graph, replaced by each review), a DELETE without WHERE: SQLite's truncate
        optimization frees the pages whole instead of visiting the 100k rows of Django's
        graph and their index entries one by one (0.20 s -> 0.12 s). min() and max() of
        graph_id are answered by the primary key's index.
        """
        db = self._db
        alone = all(db.execute(sql).fetchone()[0] in (None, graph_id) for sql in _GRAPH_ID_BOUNDS)
        if alone:
            db.execute("DELETE FROM graph_nodes")
            db.execute("DELETE FROM graph_edges")
        else:
            db.execute("DELETE FROM graph_nodes WHERE graph_id = ?", (graph_id,))
            db.execute("DELETE FROM graph_edges WHERE graph_id = ?", (graph_id,))

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


# One C encoder for every row, made as `json.JSONEncoder(sort_keys=True, separators=(",", ":"))`
# makes one per `encode` call (Django's graph: 61k calls). Its output is that encoder's. No
# circular-reference markers: they would be state shared by the threads writing; a circular
# value (never a JSON value) fails with RecursionError instead of ValueError.
_ENCODE_ROW = (
    c_make_encoder(
        None, json.JSONEncoder().default, encode_basestring_ascii, None, ":", ",", True, False, True
    )
    if c_make_encoder is not None
    else None
)
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
_DECODE = json.JSONDecoder().decode


def _dumps(properties: Any) -> str:
    # Most CONTAINS edges carry no properties: skip the encoder for them.
    if not properties:
        return "{}"
    value = properties if type(properties) is dict else dict(properties)
    if _ENCODE_ROW is None:  # an interpreter without the C accelerator
        return _ENCODER.encode(value)
    return "".join(_ENCODE_ROW(value, 0))


def _loads(text: str) -> dict[str, Any]:
    value: dict[str, Any] = _DECODE(text) if text != "{}" else {}
    return value
