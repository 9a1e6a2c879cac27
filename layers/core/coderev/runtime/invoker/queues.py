"""An in-process queue, thread-safe and oldest first: what the runtime's embedded SQS-like
targets are (the dead letters of asynchronous invocations, the on-failure destinations of
Kafka triggers), readable by tests and `coderev serve`."""

from __future__ import annotations

import threading

__all__ = ["InProcessQueue"]


class InProcessQueue[T]:
    """Items put by any thread, read in the order they came; `wait_for` blocks for them."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._condition = threading.Condition()

    def put(self, item: T) -> None:
        with self._condition:
            self._items.append(item)
            self._condition.notify_all()

    def messages(self) -> list[T]:
        """Every item, oldest first, without removing them."""
        with self._condition:
            return list(self._items)

    def receive(self, max_messages: int = 10) -> list[T]:
        """Remove and return up to `max_messages` items, oldest first."""
        with self._condition:
            taken, self._items = self._items[:max_messages], self._items[max_messages:]
            return taken

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until the queue holds at least `count` items or `timeout` passes."""
        with self._condition:
            return self._condition.wait_for(lambda: len(self._items) >= count, timeout)

    def __len__(self) -> int:
        with self._condition:
            return len(self._items)
