"""Pausing Python's cyclic garbage collector while a stage builds a large acyclic structure.

Each collection the collector starts walks every object the process holds, and it starts one
for every few hundred allocations that outlive a collection. A stage that allocates hundreds
of thousands of objects while the process already holds a review's analyses (the codec
decoding a shard's results, the import graph and code graph of Django) spends half its time
in those walks, finding nothing: these structures hold no reference cycles. The collector is
back on (when it was on) as soon as the stage ends, so any cycle made meanwhile is still
collected, only later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the body, then as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
