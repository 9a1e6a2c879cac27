"""The GraphStore in Cypher: one property graph holds every analysis's code graph.

The store speaks only the Cypher that Neo4j 5 and FalkorDB both accept; what differs between
them (how a statement reaches the server, transactions, schema DDL) is a `CypherSession`:
`coderev.adapters.neo4j` (the official driver, Bolt) and `coderev.adapters.falkordb` (the
FalkorDB client, RESP), chosen in coderev.bootstrap by NEO4J_URI's scheme.

Model:
- every code node is `(:CodeNode:<Label> {graph, id, props, ...})`: `graph` is the graph id
  (the analysis id), `(graph, id)` is unique (constraint); `props` is the node's properties as
  JSON (the exact round trip), and its scalar and scalar-list properties are also set natively
  (`name`, `path`, `loc`, `external`, ...) so user rules and drift can match on them;
- every edge is `-[:<TYPE> {seq, props, ...}]->` between two nodes of its graph; `seq` is its
  position in the write, so edges come back in the order written;
- one `(:Analysis {graph})` per graph, `(:Project {name})-[:HAS_VERSION]->(:Version {project,
  name})-[:HAS_ANALYSIS]->(:Analysis)` when the write names its project (and version).

Writes are batched `UNWIND $rows ... MERGE` statements, one per label or edge type and batch;
on Neo4j all of one write run in one transaction (a reader sees the old graph or the new one);
FalkorDB has no multi-statement transactions, so there a reader may see a graph mid-write.
Labels and edge types cannot be query parameters in Cypher: they are checked to be plain
identifiers before they are put in a statement's text.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from coderev.ports import GraphEdge, GraphNode, GraphScope

BATCH_ROWS = 2000
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# properties the store sets itself: kept in `props` only, never set natively
_RESERVED = frozenset({"graph", "id", "seq", "props"})

Statement = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """An index on `properties` of nodes labelled `label`; unique: a uniqueness constraint."""

    name: str
    label: str
    properties: tuple[str, ...]
    unique: bool = False


SCHEMA = (
    IndexSpec("coderev_code_node_key", "CodeNode", ("graph", "id"), unique=True),
    IndexSpec("coderev_code_node_graph", "CodeNode", ("graph",)),
    IndexSpec("coderev_module_name", "Module", ("name",)),
    IndexSpec("coderev_analysis_graph", "Analysis", ("graph",), unique=True),
    IndexSpec("coderev_project_name", "Project", ("name",), unique=True),
    IndexSpec("coderev_version_key", "Version", ("project", "name"), unique=True),
)


class CypherSession(Protocol):
    """How Cypher reaches one server: rows as dicts of plain values."""

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    def write(self, statements: Sequence[Statement]) -> None:
        """Run the statements in order, in one transaction where the server has them."""

    def ensure_schema(self, schema: Sequence[IndexSpec]) -> None:
        """Create what of `schema` does not exist yet (idempotent)."""

    def close(self) -> None: ...


class CypherGraphStore:
    """GraphStore on a Cypher server (see the module docstring). Builds its schema on first use."""

    def __init__(self, session: CypherSession, batch_rows: int = BATCH_ROWS) -> None:
        self.session = session
        self._batch = batch_rows
        self._schema_ready = False

    # --- the GraphStore port ------------------------------------------------------------------

    def write(
        self,
        graph_id: str,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        *,
        scope: GraphScope | None = None,
    ) -> None:
        self._ensure_schema()
        node_list, edge_list = list(nodes), list(edges)
        known = {n.id for n in node_list}
        missing = sorted({x for e in edge_list for x in (e.source, e.target)} - known)
        if missing:
            raise ValueError(f"edges of graph {graph_id} name nodes it lacks: {missing[:5]}")
        statements: list[Statement] = [*_delete_statements(graph_id), _analysis(graph_id, scope)]
        by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for n in node_list:
            by_label[_identifier(n.label)].append({"id": n.id, **_property_row(n.properties)})
        for label, rows in sorted(by_label.items()):
            query = (
                f"UNWIND $rows AS row MERGE (n:CodeNode {{graph: $graph, id: row.id}}) "
                f"SET n:{label}, n += row.native, n.props = row.props"
            )
            statements += [(query, {"graph": graph_id, "rows": b}) for b in self._chunks(rows)]
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for seq, e in enumerate(edge_list):
            by_type[_identifier(e.type)].append(
                {"source": e.source, "target": e.target, "seq": seq, **_property_row(e.properties)}
            )
        for type_, rows in sorted(by_type.items()):
            query = (
                "UNWIND $rows AS row "
                "MATCH (a:CodeNode {graph: $graph, id: row.source}) "
                "MATCH (b:CodeNode {graph: $graph, id: row.target}) "
                f"MERGE (a)-[r:{type_} {{seq: row.seq}}]->(b) "
                "SET r += row.native, r.props = row.props"
            )
            statements += [(query, {"graph": graph_id, "rows": b}) for b in self._chunks(rows)]
        self.session.write(statements)

    def nodes(self, graph_id: str, label: str | None = None) -> list[GraphNode]:
        self._ensure_schema()
        labels = f"CodeNode:{_identifier(label)}" if label is not None else "CodeNode"
        rows = self.session.read(
            f"MATCH (n:{labels} {{graph: $graph}}) "
            "RETURN n.id AS id, labels(n) AS labels, n.props AS props ORDER BY id",
            {"graph": graph_id},
        )
        return [GraphNode(r["id"], _label(r["labels"]), _loads(r["props"])) for r in rows]

    def edges(self, graph_id: str, type: str | None = None) -> list[GraphEdge]:
        self._ensure_schema()
        pattern = f"[r:{_identifier(type)}]" if type is not None else "[r]"
        rows = self.session.read(
            f"MATCH (a:CodeNode {{graph: $graph}})-{pattern}->(b:CodeNode {{graph: $graph}}) "
            "RETURN a.id AS source, b.id AS target, type(r) AS type, r.props AS props, "
            "r.seq AS seq ORDER BY seq",
            {"graph": graph_id},
        )
        return [GraphEdge(r["source"], r["target"], r["type"], _loads(r["props"])) for r in rows]

    def delete(self, graph_id: str) -> None:
        self._ensure_schema()
        self.session.write(_delete_statements(graph_id))

    # --- beyond the port ------------------------------------------------------------------------

    def graph_ids(self) -> list[str]:
        """Every stored graph's id (housekeeping's retention lists them)."""
        rows = self.session.read("MATCH (a:Analysis) RETURN a.graph AS graph ORDER BY graph", {})
        return [str(r["graph"]) for r in rows]

    def scope(self, graph_id: str) -> GraphScope | None:
        """The project and version a graph was written under (None: no such graph)."""
        rows = self.session.read(
            "MATCH (a:Analysis {graph: $graph}) RETURN a.project AS project, a.version AS version",
            {"graph": graph_id},
        )
        return GraphScope(rows[0]["project"], rows[0]["version"]) if rows else None

    def query(
        self, graph_id: str, cypher: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a read-only Cypher query, with `$graph` bound to `graph_id`."""
        self._ensure_schema()
        return self.session.read(cypher, {**(parameters or {}), "graph": graph_id})

    def import_drift(
        self, baseline_id: str, current_id: str
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(new, removed) IMPORTS between internal modules of `current_id` against
        `baseline_id`, as sorted (importer, imported) module names: architecture_drift's
        new_imports / removed_imports, asked of the stored graphs."""
        return self._imports_absent(current_id, baseline_id), self._imports_absent(
            baseline_id, current_id
        )

    def _imports_absent(self, graph_id: str, other_id: str) -> list[tuple[str, str]]:
        rows = self.session.read(
            "MATCH (a:CodeNode {graph: $graph})-[:IMPORTS]->(b:CodeNode {graph: $graph}) "
            "WHERE coalesce(a.external, false) = false AND coalesce(b.external, false) = false "
            "OPTIONAL MATCH (x:CodeNode {graph: $other, id: a.id})-[o:IMPORTS]->"
            "(y:CodeNode {graph: $other, id: b.id}) "
            "WITH a, b, o WHERE o IS NULL "
            "RETURN DISTINCT a.name AS importer, b.name AS imported ORDER BY importer, imported",
            {"graph": graph_id, "other": other_id},
        )
        return [(r["importer"], r["imported"]) for r in rows]

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> CypherGraphStore:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- internals ------------------------------------------------------------------------------

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            self.session.ensure_schema(SCHEMA)
            self._schema_ready = True

    def _chunks(self, rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        return [rows[i : i + self._batch] for i in range(0, len(rows), self._batch)]


def _delete_statements(graph_id: str) -> list[Statement]:
    return [
        ("MATCH (n:CodeNode {graph: $graph}) DETACH DELETE n", {"graph": graph_id}),
        ("MATCH (a:Analysis {graph: $graph}) DETACH DELETE a", {"graph": graph_id}),
    ]


def _analysis(graph_id: str, scope: GraphScope | None) -> Statement:
    project = scope.project if scope else None
    version = scope.version if scope else None
    params = {"graph": graph_id, "project": project, "version": version}
    if project is None:
        return "MERGE (a:Analysis {graph: $graph})", params
    if version is None:
        return (
            "MERGE (p:Project {name: $project}) MERGE (a:Analysis {graph: $graph}) "
            "SET a.project = $project MERGE (p)-[:HAS_ANALYSIS]->(a)",
            params,
        )
    return (
        "MERGE (p:Project {name: $project}) "
        "MERGE (v:Version {project: $project, name: $version}) "
        "MERGE (p)-[:HAS_VERSION]->(v) "
        "MERGE (a:Analysis {graph: $graph}) SET a.project = $project, a.version = $version "
        "MERGE (v)-[:HAS_ANALYSIS]->(a)",
        params,
    )


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name) or name == "CodeNode":
        raise ValueError(f"{name!r} is not a label or edge type this store can hold")
    return name


def _label(labels: Sequence[str]) -> str:
    return next(label for label in labels if label != "CodeNode")


def _property_row(properties: Mapping[str, Any]) -> dict[str, Any]:
    native = {k: v for k, v in properties.items() if k not in _RESERVED and _is_native(v)}
    return {"native": native, "props": _dumps(properties)}


def _is_native(value: Any) -> bool:
    """A value both servers store as a property: a scalar or a non-empty list of one type."""
    scalar = (str, bool, int, float)
    if isinstance(value, scalar):
        return True
    if isinstance(value, list) and value and isinstance(value[0], scalar):
        first = type(value[0])
        return all(type(v) is first for v in value)
    return False


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _dumps(properties: Mapping[str, Any]) -> str:
    return _ENCODER.encode(dict(properties)) if properties else "{}"


def _loads(text: str | None) -> dict[str, Any]:
    if not text or text == "{}":
        return {}
    value: dict[str, Any] = json.loads(text)
    return value
