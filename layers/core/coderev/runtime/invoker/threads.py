"""The threads handlers run on, reused across invocations.

Why not `ThreadPoolExecutor`: its workers are joined at interpreter exit, so a handler
stuck past its timeout (a thread cannot be killed) would hang the process on exit; and
its pool is bounded, so stuck handlers could starve the rest. Here workers are daemon
threads, a new one starts whenever none is idle, and idle ones leave after a while.
Starting a thread per invocation instead costs about a millisecond on a busy machine;
handing a task to an idle worker costs tens of microseconds.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

__all__ = ["HandlerThreads"]


class HandlerThreads:
    """Runs tasks on reusable daemon threads; never queues behind a busy one."""

    def __init__(self, idle_seconds: float = 60.0, name: str = "lambda-handler"):
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle_seconds = idle_seconds
        self._idle = 0
        self._started = 0
        self._lock = threading.Lock()
        self._name = name

    @property
    def idle(self) -> int:
        with self._lock:
            return self._idle

    def run(self, task: Callable[[], None]) -> None:
        """Start `task` now on an idle worker, or on a new one if none is idle."""
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self._started += 1
                number = self._started
            else:
                self._idle -= 1
        self._tasks.put(task)
        if spawn:
            threading.Thread(target=self._work, name=f"{self._name}-{number}",
                             daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                task = self._tasks.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:
                        self._idle -= 1
                        return
                continue
            task()
            with self._lock:
                self._idle += 1
