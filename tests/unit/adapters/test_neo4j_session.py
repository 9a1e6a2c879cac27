"""The Neo4j session's use of the official driver (no Neo4j server runs here: a driver double
records the calls the real driver's API receives), and bootstrap choosing the graph store by
NEO4J_URI. The Cypher itself is run on FalkorDB in tests/integration/test_graph_store_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import neo4j
import pytest
from neo4j import RoutingControl
from neo4j.exceptions import ClientError, ServiceUnavailable

from coderev import bootstrap
from coderev.adapters.cypher_graph import SCHEMA, CypherGraphStore
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.adapters.neo4j import Neo4jSession, schema_statement
from coderev.config import get_settings
from coderev.domain.errors import ConfigError, GraphStoreError
from coderev.ports import GraphEdge, GraphNode, GraphScope


class Record:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def data(self) -> dict[str, Any]:
        return self.values


class Transaction:
    def __init__(self, driver: DriverDouble) -> None:
        self.driver = driver

    def run(self, query: str, parameters: dict[str, Any]) -> Transaction:
        self.driver.transactions[-1].append((query, parameters))
        return self

    def consume(self) -> None:
        return None


class Session:
    def __init__(self, driver: DriverDouble, database: str | None) -> None:
        self.driver, self.database = driver, database

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute_write(self, work: Any, *args: Any) -> Any:
        self.driver.sessions.append(self.database)
        self.driver.transactions.append([])
        return work(Transaction(self.driver), *args)


class DriverDouble:
    """The part of neo4j.Driver the session uses."""

    def __init__(self, rows: list[dict[str, Any]] | None = None, fail: Exception | None = None):
        self.rows = rows or []
        self.fail = fail
        self.queries: list[tuple[str, dict[str, Any] | None, RoutingControl, str | None]] = []
        self.sessions: list[str | None] = []
        self.transactions: list[list[tuple[str, dict[str, Any]]]] = []
        self.closed = False

    def execute_query(
        self,
        query: str,
        parameters: dict[str, Any] | None = None,
        routing_: RoutingControl = RoutingControl.WRITE,
        database_: str | None = None,
    ) -> tuple[list[Record], None, list[str]]:
        if self.fail is not None:
            raise self.fail
        self.queries.append((query, parameters, routing_, database_))
        return [Record(r) for r in self.rows], None, []

    def session(self, database: str | None = None) -> Session:
        return Session(self, database)

    def close(self) -> None:
        self.closed = True


def test_reads_go_to_readers_of_the_named_database() -> None:
    driver = DriverDouble(rows=[{"id": "a", "labels": ["CodeNode", "Module"], "props": "{}"}])
    store = CypherGraphStore(Neo4jSession(driver=driver, database="graphs"))  # type: ignore[arg-type]
    assert store.nodes("g1") == [GraphNode("a", "Module")]
    query, parameters, routing, database = driver.queries[-1]
    assert (parameters, routing, database) == ({"graph": "g1"}, RoutingControl.READ, "graphs")
    assert query.startswith("MATCH (n:CodeNode {graph: $graph})")


def test_one_write_is_one_transaction_of_batched_unwind_merges() -> None:
    driver = DriverDouble()
    store = CypherGraphStore(Neo4jSession(driver=driver), batch_rows=2)  # type: ignore[arg-type]
    nodes = [GraphNode(f"m{i}", "Module", {"name": f"m{i}"}) for i in range(5)]
    edges = [GraphEdge("m0", f"m{i}", "IMPORTS", {"lines": [i]}) for i in range(1, 4)]
    store.write("g1", nodes, edges, scope=GraphScope("shop", "1.0"))
    assert len(driver.transactions) == 1  # delete, analysis, 3 node batches, 2 edge batches
    statements = driver.transactions[0]
    assert [q.split()[0] for q, _ in statements] == ["MATCH", "MATCH", "MERGE"] + ["UNWIND"] * 5
    node_batches = [p["rows"] for q, p in statements if "MERGE (n:CodeNode" in q]
    assert [len(rows) for rows in node_batches] == [2, 2, 1]
    assert node_batches[0][0] == {"id": "m0", "native": {"name": "m0"}, "props": '{"name":"m0"}'}
    edge_rows = [row for q, p in statements if "[r:IMPORTS" in q for row in p["rows"]]
    assert [row["seq"] for row in edge_rows] == [0, 1, 2]
    assert statements[2][1] == {"graph": "g1", "project": "shop", "version": "1.0"}


def test_the_schema_is_created_once_with_idempotent_ddl() -> None:
    driver = DriverDouble()
    store = CypherGraphStore(Neo4jSession(driver=driver))  # type: ignore[arg-type]
    store.nodes("a")
    store.nodes("b")
    ddl = [q for q, *_ in driver.queries if q.startswith("CREATE")]
    assert ddl == [schema_statement(spec) for spec in SCHEMA]
    assert ddl[0] == (
        "CREATE CONSTRAINT coderev_code_node_key IF NOT EXISTS FOR (n:CodeNode) "
        "REQUIRE (n.graph, n.id) IS UNIQUE"
    )
    assert "CREATE INDEX coderev_module_name IF NOT EXISTS FOR (n:Module) ON (n.name)" in ddl


@pytest.mark.parametrize(
    "failure",
    [ServiceUnavailable("no route"), ClientError("Neo.ClientError.Statement.SyntaxError")],
)
def test_driver_errors_become_graph_store_errors_without_parameters(failure: Exception) -> None:
    session = Neo4jSession(driver=DriverDouble(fail=failure))  # type: ignore[arg-type]
    with pytest.raises(GraphStoreError) as caught:
        session.read("MATCH (n {graph: $graph}) RETURN n", {"graph": "secret-graph-id"})
    assert "MATCH (n" in str(caught.value)
    assert "secret-graph-id" not in str(caught.value)


def test_close_closes_the_driver() -> None:
    driver = DriverDouble()
    with CypherGraphStore(Neo4jSession(driver=driver)):  # type: ignore[arg-type]
        pass
    assert driver.closed


# --- bootstrap ------------------------------------------------------------------------------


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path))
    for variable in ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "CODEREV_GRAPH_DATABASE"):
        monkeypatch.delenv(variable, raising=False)
    bootstrap.reset()
    yield tmp_path
    bootstrap.reset()


def test_without_neo4j_uri_the_graph_is_sqlite(settings_env: Path) -> None:
    store = bootstrap.graph_store(get_settings(), settings_env / "g" / "graph.sqlite")
    assert isinstance(store, SqliteGraphStore)
    assert (settings_env / "g" / "graph.sqlite").exists()


def test_a_bolt_uri_selects_neo4j_once_per_process(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j://127.0.0.1:1")
    monkeypatch.setenv("NEO4J_USER", "neo4j")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret-pass")
    monkeypatch.setenv("CODEREV_GRAPH_DATABASE", "graphs")
    get_settings.cache_clear()
    store = bootstrap.graph_store(get_settings(), settings_env / "graph.sqlite")
    assert isinstance(store, CypherGraphStore)
    assert isinstance(store.session, Neo4jSession)
    assert isinstance(store.session._driver, neo4j.Driver)
    assert bootstrap.graph_store(get_settings(), settings_env / "graph.sqlite") is store
    assert not (settings_env / "graph.sqlite").exists()
    assert "s3cret-pass" not in repr(store) + repr(store.session) + repr(get_settings())


def test_a_falkor_uri_selects_falkordb(settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "falkor://127.0.0.1:1")  # the client connects at once
    get_settings.cache_clear()
    with pytest.raises(GraphStoreError, match="FalkorDB does not answer"):
        bootstrap.graph_store(get_settings(), settings_env / "graph.sqlite")


def test_another_scheme_is_refused(settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "http://127.0.0.1:7474")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="bolt://"):
        bootstrap.graph_store(get_settings(), settings_env / "graph.sqlite")
