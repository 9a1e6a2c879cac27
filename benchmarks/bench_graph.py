"""Writes and queries Django's code graph in the embedded SQLite store and the Cypher store.

Builds the code graph of the pinned Django sdist (benchmarks/sdists.py) once, as `coderev
review` does, then times on each store, median of --rounds: the whole write (it replaces the
graph), reading every node, every edge, the IMPORTS edges only, and the import drift between
two stored versions of the graph (the second with 1% of its IMPORTS edges dropped). The
SQLite store is the anchor (1.00x); the Cypher store runs on FalkorDB at FALKORDB_URL (start
it with `.ci/services start falkordb; eval "$(.ci/services env falkordb)"`) and, when NEO4J_URI
names a Neo4j server (bolt:// or neo4j://), on Neo4j too.

    python benchmarks/bench_graph.py [--package django==5.1.4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from coderev.adapters.cypher_graph import CypherGraphStore
from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.analysis.archive import read_source
from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.code_graph import build_code_graph
from coderev.domain.config import ProjectConfig, Thresholds
from coderev.pipeline.parallel import analyze_files
from coderev.pipeline.progress import SilentProgress
from coderev.ports import GraphEdge, GraphNode
from sdists import fetch_sdist

Store = SqliteGraphStore | CypherGraphStore


def median_seconds(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        work()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(
    store: Store, nodes: list[GraphNode], edges: list[GraphEdge], rounds: int
) -> dict[str, float]:
    older = [e for i, e in enumerate(edges) if e.type != "IMPORTS" or i % 100]
    store.write("bench-base", nodes, older)
    figures = {"write": median_seconds(lambda: store.write("bench", nodes, edges), rounds)}
    assert len(store.nodes("bench")) == len(nodes) and len(store.edges("bench")) == len(edges)
    figures["nodes"] = median_seconds(lambda: store.nodes("bench"), rounds)
    figures["edges"] = median_seconds(lambda: store.edges("bench"), rounds)
    figures["imports"] = median_seconds(lambda: store.edges("bench", type="IMPORTS"), rounds)
    figures["drift"] = median_seconds(lambda: store.import_drift("bench-base", "bench"), rounds)
    assert store.import_drift("bench-base", "bench")[0], "the drift found no new import"
    store.delete("bench")
    store.delete("bench-base")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--package", default="django==5.1.4")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", SyntaxWarning)
    falkordb_url = os.environ.get("FALKORDB_URL")
    if not falkordb_url:
        sys.exit('FALKORDB_URL is unset: .ci/services start falkordb; eval "$(.ci/services env)"')

    tree = read_source(fetch_sdist(args.package))
    analyses = analyze_files(tree.python_files(), Thresholds(), 10.0, 1, SilentProgress())
    result = analyze_architecture(analyses, ProjectConfig())
    nodes, edges = build_code_graph(analyses, result)
    modules = sum(1 for n in nodes if n.label in ("Module", "Package") and n.properties.get("path"))
    imports = sum(1 for e in edges if e.type == "IMPORTS")
    print(
        f"{args.package}: {modules} modules, {len(nodes)} nodes, {len(edges)} edges "
        f"({imports} IMPORTS); median of {args.rounds}"
    )

    stores: list[tuple[str, Callable[[Path], Store]]] = [
        ("sqlite (anchor)", lambda d: SqliteGraphStore(d / "graph.sqlite")),
    ]
    from coderev.adapters.falkordb import FalkorSession

    stores.append(
        ("falkordb cypher", lambda d: CypherGraphStore(FalkorSession(falkordb_url, "bench")))
    )
    neo4j_uri = os.environ.get("NEO4J_URI", "")
    if neo4j_uri.startswith(("bolt", "neo4j")):
        from coderev.adapters.neo4j import Neo4jSession

        password = os.environ.get("NEO4J_PASSWORD")
        stores.append(("neo4j cypher", lambda d: CypherGraphStore(
            Neo4jSession(neo4j_uri, os.environ.get("NEO4J_USER"), password))))  # fmt: skip

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as out:
        for name, build in stores:
            store = build(Path(out))
            try:
                results[name] = measure(store, nodes, edges, args.rounds)
            finally:
                store.close()
    anchor = results["sqlite (anchor)"]
    print(f"{'store':18} " + " ".join(f"{k:>16}" for k in anchor))
    for name, figures in results.items():
        cells = [f"{figures[k]:7.3f}s {figures[k] / anchor[k]:6.1f}x" for k in anchor]
        print(f"{name:18} " + " ".join(f"{c:>16}" for c in cells))


if __name__ == "__main__":
    main()
