"""The code graph built and written in a worker of the shared pool, when one can be.

Once the files are analysed the pool's workers are idle, while the process that ran the
review goes on alone: architecture, review, reports. Building a large graph there (Django's:
about 0.9 s) put it on the review's critical path, and writing it on a thread of that process
(0.6-1.2 s of SQLite and JSON) still competed with the review for the GIL. So when the store
is written in the background (coderev.adapters.background_graph: no Cypher store the graph
rules read back at once) and another process can open it (`reopener`), a worker gets what
build_code_graph reads (`code_graph_inputs`: plain tuples, 0.1-0.15 s to make and pickle on
Django against 0.3-0.5 s for the analyses and architecture themselves) and the way to open
the store, builds the graph and writes it. The caller's `close` of the store waits for it and
raises what it raised; if the worker died, the graph is built and written by the caller.
Below IN_PROCESS_BELOW files, or without a running pool (one job, AWS Lambda, a directory
reviewed: its files' pool is gone by then, and starting one would cost more than the
build), it is built here.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable, Sequence

from coderev.adapters.background_graph import BackgroundWrites
from coderev.analysis.collector import collector_paused
from coderev.architecture.code_graph import (
    build_code_graph,
    build_code_graph_from,
    code_graph_inputs,
)
from coderev.domain.architecture import ArchitectureResult
from coderev.domain.code import FileAnalysis
from coderev.pipeline.parallel import IN_PROCESS_BELOW, running_pool
from coderev.ports import GraphScope, GraphStore

__all__ = ["write_code_graph"]


def write_code_graph(
    store: GraphStore,
    graph_id: str,
    files: Sequence[FileAnalysis],
    architecture: ArchitectureResult,
    scope: GraphScope | None = None,
    *,
    jobs: int = 1,
) -> None:
    """build_code_graph(files, architecture) written to `store` under `graph_id`: built and
    written in a worker of this process's shared pool of `jobs` workers (0: one per CPU) when
    `store` writes in the background and can be opened there, the project is large enough to
    be worth it, and that pool is running (none is started); else built here and written
    through `store`."""
    if (
        len(files) >= IN_PROCESS_BELOW
        and isinstance(store, BackgroundWrites)
        and _written_in_a_worker(store, graph_id, files, architecture, scope, jobs)
    ):
        return
    nodes, edges = build_code_graph(files, architecture)
    store.write(graph_id, nodes, edges, scope=scope)


def _written_in_a_worker(
    store: BackgroundWrites,
    graph_id: str,
    files: Sequence[FileAnalysis],
    architecture: ArchitectureResult,
    scope: GraphScope | None,
    jobs: int,
) -> bool:
    """Whether the graph went to a worker (`store`'s close waits for it); False when no pool
    of `jobs` workers runs or the store cannot be opened in another process."""
    submit = running_pool(jobs)
    reopen = store.reopener() if submit is not None else None
    if submit is None or reopen is None:
        return False
    # pickled here, not by the pool's feeder thread: its allocations would stay in a malloc
    # arena of its own (as coderev.reports.writer found)
    inputs = pickle.dumps(code_graph_inputs(files, architecture), pickle.HIGHEST_PROTOCOL)
    build_and_write = functools.partial(_build_and_write, reopen, graph_id, inputs, scope)
    future = submit(build_and_write)
    if future is None:  # the pool broke meanwhile
        return False
    store.written_elsewhere(future, again=build_and_write)
    return True


def _build_and_write(
    reopen: Callable[[], GraphStore],
    graph_id: str,
    inputs: bytes,
    scope: GraphScope | None,
) -> None:
    with collector_paused():  # as the architecture stage: a large graph, no cycles (-0.4 s)
        nodes, edges = build_code_graph_from(pickle.loads(inputs))  # noqa: S301 - pickled by the caller
        store = reopen()
        try:
            store.write(graph_id, nodes, edges, scope=scope)
        finally:
            close = getattr(store, "close", None)
            if callable(close):
                close()
