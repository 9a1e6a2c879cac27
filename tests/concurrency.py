"""Calls run at once, each in a thread of its own: for the tests of what must hold when
processes or threads race (one record created, one migration, one failure recorded)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def at_once[T](calls: Sequence[Callable[[], T]], timeout: float | None = None) -> list[T]:
    """Run each call in a thread of its own, all released together by a barrier: their
    results, in the order they finished. An error any call raised is raised here, in the
    test's thread; `timeout` bounds the wait at the barrier and for each thread."""
    barrier = threading.Barrier(len(calls))
    results: list[T] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout)
            results.append(call())
        except BaseException as exc:  # raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    return results
