"""The Cypher session on Neo4j 5 through the official `neo4j` driver (Bolt).

`Neo4jSession` runs CypherGraphStore's statements: reads with `execute_query` routed to
readers (a user's rule query cannot write), each write's statements in one managed write
transaction (`execute_write`, retried by the driver on transient errors), and the schema as
`CREATE CONSTRAINT/INDEX ... IF NOT EXISTS`. Composite uniqueness constraints are in Neo4j 5
Community; node keys (Enterprise) are not used.

URI, user and password: arguments (bootstrap passes NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD);
the database: CODEREV_GRAPH_DATABASE, else the server's default. The driver is imported when
the first session is built. Driver errors become GraphStoreError, without parameters or auth.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from coderev.adapters.cypher_graph import IndexSpec, Statement
from coderev.domain.errors import GraphStoreError

if TYPE_CHECKING:
    from neo4j import Driver, ManagedTransaction


class Neo4jSession:
    """A CypherSession on one Neo4j database. Pass `driver` to use one already built."""

    def __init__(
        self,
        uri: str | None = None,
        user: str | None = None,
        password: str | None = None,
        *,
        database: str | None = None,
        driver: Driver | None = None,
    ) -> None:
        if driver is None:
            if not uri:
                raise GraphStoreError("Neo4jSession needs a URI (NEO4J_URI) or a driver")
            from neo4j import GraphDatabase

            auth = (user, password or "") if user else None
            driver = GraphDatabase.driver(uri, auth=auth)
        self._driver = driver
        self._database = database

    def read(self, query: str, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        from neo4j import RoutingControl
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        try:
            records, _, _ = self._driver.execute_query(
                query, dict(parameters), routing_=RoutingControl.READ, database_=self._database
            )
        except (Neo4jError, ServiceUnavailable) as exc:
            raise _error(exc, query) from None
        return [record.data() for record in records]

    def write(self, statements: Sequence[Statement]) -> None:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        try:
            with self._driver.session(database=self._database) as session:
                session.execute_write(_run_all, list(statements))
        except (Neo4jError, ServiceUnavailable) as exc:
            raise _error(exc, "") from None

    def ensure_schema(self, schema: Sequence[IndexSpec]) -> None:
        from neo4j.exceptions import Neo4jError, ServiceUnavailable

        for spec in schema:
            try:
                self._driver.execute_query(schema_statement(spec), database_=self._database)
            except (Neo4jError, ServiceUnavailable) as exc:
                raise _error(exc, schema_statement(spec)) from None

    def close(self) -> None:
        self._driver.close()


def schema_statement(spec: IndexSpec) -> str:
    """Neo4j 5's DDL for one IndexSpec, idempotent."""
    props = ", ".join(f"n.{p}" for p in spec.properties)
    target = f"FOR (n:{spec.label})"
    if spec.unique:
        return f"CREATE CONSTRAINT {spec.name} IF NOT EXISTS {target} REQUIRE ({props}) IS UNIQUE"
    return f"CREATE INDEX {spec.name} IF NOT EXISTS {target} ON ({props})"


def _run_all(tx: ManagedTransaction, statements: list[Statement]) -> None:
    for query, parameters in statements:
        tx.run(query, dict(parameters)).consume()


def _error(exc: Exception, query: str) -> GraphStoreError:
    code = getattr(exc, "code", None) or type(exc).__name__
    shown = f" running {query[:200]!r}" if query else ""
    return GraphStoreError(f"Neo4j refused{shown}: {code}: {getattr(exc, 'message', None) or exc}")
