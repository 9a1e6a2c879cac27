"""A GraphStore whose writes run on a thread of their own while the caller goes on.

`coderev review --via direct` writes the code graph to `--out/graph.sqlite` (about 0.6 s of
SQLite on Django) and then reviews and renders its reports, which never read the graph back
from an embedded store (it answers no Cypher: coderev.architecture.graph_rules). SQLite lets
go of the GIL while it writes its pages, so the write runs beside the review and reports on
the other core; the platform's Architecture step writes it beside its work files the same
way. Every read waits for the writes before it; `close` (the command's or the step's last
act) waits for them and raises what a write raised, so a failed write is never silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

from coderev.ports import GraphEdge, GraphNode, GraphQueries, GraphScope, GraphStore

__all__ = ["BackgroundWrites", "in_background"]


def in_background(store: GraphStore | None) -> BackgroundWrites | None:
    """`store` with its writes on a thread, or None when there is no store or the run reads
    its graph back (a store that answers Cypher: the project's graph rules query it right
    after the write). The caller `close`s it before it ends."""
    if store is None or isinstance(store, GraphQueries):
        return None
    return BackgroundWrites(store)


class BackgroundWrites:
    """`store` (a GraphStore) with `write` on a background thread, in order."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-write")
        self._pending: list[Future[None]] = []

    def write(
        self,
        graph_id: str,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        *,
        scope: GraphScope | None = None,
    ) -> None:
        rows = list(nodes), list(edges)  # the caller may go on with its iterables
        self._pending.append(self._thread.submit(self._store.write, graph_id, *rows, scope=scope))

    def wait(self) -> None:
        """Until every write so far has ended; raises the first error a write raised."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """wait, then stop the thread."""
        try:
            self.wait()
        finally:
            self._thread.shutdown()

    def nodes(self, graph_id: str, label: str | None = None) -> list[GraphNode]:
        self.wait()
        return self._store.nodes(graph_id, label)

    def edges(self, graph_id: str, type: str | None = None) -> list[GraphEdge]:
        self.wait()
        return self._store.edges(graph_id, type)

    def delete(self, graph_id: str) -> None:
        self.wait()
        self._store.delete(graph_id)
