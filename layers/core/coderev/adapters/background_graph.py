"""A GraphStore whose writes run off the caller's path while it goes on.

`coderev review --via direct` writes the code graph to `--out/graph.sqlite` and then reviews
and renders its reports, which never read the graph back from an embedded store (it answers
no Cypher: coderev.architecture.graph_rules). Once the files are analysed the worker pool is
idle while the command's own process works on alone, so when the store can be opened by
another process (`reopener`: SQLite on a file) and that pool is running, a worker builds the
graph *and* writes it (coderev.pipeline.graph_writes; `written_elsewhere` follows it). On Django
that takes the build (about 0.9 s) off the command's core and the write (0.6-1.2 s) off its
GIL, for 0.1-0.15 s spent there pickling what the build reads. Without a pool (one job;
AWS Lambda) the graph is built in the caller's process and only its write runs on this
object's thread: SQLite lets go of the GIL while it writes its pages, so the write still
runs beside the review and reports, on the other core. The platform's Architecture step
writes its graph beside its documents the same ways.

Every read waits for the writes before it; `close` (the command's or the step's last act)
waits for them, here and in the worker, and raises what a write raised, so a failed write is
never silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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
    """`store` (a GraphStore) with `write` on a background thread, and the writes another
    process makes of it (`written_elsewhere`), in order."""

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

    def reopener(self) -> Callable[[], GraphStore] | None:
        """A picklable way to open the store again in another process, or None when the
        store has none (an in-memory or remote one)."""
        reopener = getattr(self._store, "reopener", None)
        reopen: Callable[[], GraphStore] | None = reopener() if callable(reopener) else None
        return reopen

    def written_elsewhere(self, write: Future[None], again: Callable[[], None]) -> None:
        """`write`, a write another process makes of the store (see `reopener`), waited for
        in turn with this object's own; `again` makes it here if that process died before it
        ended (the pool broken: a worker killed)."""
        self._pending.append(self._thread.submit(_outcome, write, again))

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


def _outcome(write: Future[None], again: Callable[[], None]) -> None:
    try:
        write.result()  # raises what the other process raised
    except BrokenProcessPool:
        again()
