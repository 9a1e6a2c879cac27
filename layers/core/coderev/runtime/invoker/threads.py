"""The threads handlers run on, reused across invocations, and stopping one that timed out.

Why not `ThreadPoolExecutor`: its workers are joined at interpreter exit, so a handler
stuck past its timeout would hang the process on exit; and its pool is bounded, so stuck
handlers could starve the rest. Here workers are daemon threads, a new one starts whenever
none is idle, and idle ones leave after a while. Starting a thread per invocation instead
costs about a millisecond on a busy machine; handing a task to an idle worker costs tens of
microseconds.

Stopping a task (`RunningTask.stop`): on Lambda a timed-out sandbox is killed; here the
handler shares the process with every other function, so the task is stopped the way
Ctrl-C stops the main thread — an exception raised *in its thread* (CPython's
`PyThreadState_SetAsyncExc`, which is what a debugger uses) at its next bytecode. It derives
from BaseException, so `except Exception` in the pipeline does not swallow it, and every
`finally` and `with` on the way out runs: temp dirs are removed, locks and files released.
It is repeated every `interval` while the thread still runs the task (a bare `except:` may
swallow one), and lands only when the thread is back in Python code: a call blocked in C
(a subprocess's output, a lock) ends first. A thread that was stopped is retired, never
reused, so an exception arriving as its task ends cannot hit the next invocation.

Why not a child process per invocation, killed at the deadline: the handlers share this
process's embedded backends (the in-process event bus, key-value store and quota counters,
the shared worker pool, warm adapters), which a child would not see; and the pipeline's
long work already runs in the worker pool's processes (`coderev.pipeline.parallel`), whose
queued shards are cancelled when the stopped step unwinds.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import queue
import threading
from collections.abc import Callable

__all__ = ["HandlerThreads", "RunningTask"]

_log = logging.getLogger(__name__)
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))
# The same function taking NULL for the exception: clears a pending one.
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))


class RunningTask:
    """One task handed to `HandlerThreads.run`: whether it runs, and stopping it."""

    def __init__(self, fn: Callable[[], None]):
        self._fn = fn
        self._lock = threading.Lock()
        self._thread: int | None = None
        self._over = False
        self._stopping = False
        self.ended = threading.Event()

    @property
    def stopped(self) -> bool:
        """True once `stop` was called (whether or not the task has ended yet)."""
        return self._stopping

    def stop(self, error: type[BaseException], *, interval: float = 1.0,
             attempts: int = 60) -> None:
        """Raise `error` in the task's thread now and every `interval` while it still runs the
        task (up to `attempts` times); a task not started yet never starts."""
        with self._lock:
            self._stopping = True
            if self._over or self._thread is None:
                return
        threading.Thread(target=self._keep_stopping, args=(error, interval, attempts),
                         name="lambda-stop", daemon=True).start()  # fmt: skip

    def _keep_stopping(self, error: type[BaseException], interval: float, attempts: int) -> None:
        for _ in range(attempts):
            with self._lock:
                if self._over or self._thread is None:
                    return
                _set_async_exc(self._thread, error)
            if self.ended.wait(interval):
                return
        _log.error("a timed-out handler thread did not stop after %d attempts", attempts)

    def _begin(self) -> bool:
        with self._lock:
            if self._stopping:
                self._over = True
                self.ended.set()
                return False
            self._thread = threading.get_ident()
            return True

    def _end(self) -> bool:
        """Mark the task over and drop a stop that arrived too late; True if it was stopped."""
        thread = threading.get_ident()
        with self._lock:
            self._over = True
            _clear_async_exc(thread, None)  # a stop that arrived too late
        self.ended.set()
        return self._stopping

    def _run(self) -> bool:
        """Run the task on this thread; True if the thread may serve another task."""
        try:
            if not self._begin():
                return True
            with contextlib.suppress(BaseException):  # the task reports its own outcome
                self._fn()
            return not self._end()
        except BaseException:  # a stop landing in the bookkeeping itself: retire the thread
            self._end()
            return False


class HandlerThreads:
    """Runs tasks on reusable daemon threads; never queues behind a busy one."""

    def __init__(self, idle_seconds: float = 60.0, name: str = "lambda-handler"):
        self._tasks: queue.SimpleQueue[RunningTask] = queue.SimpleQueue()
        self._idle_seconds = idle_seconds
        self._idle = 0
        self._started = 0
        self._lock = threading.Lock()
        self._name = name

    @property
    def idle(self) -> int:
        with self._lock:
            return self._idle

    def run(self, task: Callable[[], None]) -> RunningTask:
        """Start `task` now on an idle worker, or on a new one if none is idle."""
        running = RunningTask(task)
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self._started += 1
                number = self._started
            else:
                self._idle -= 1
        self._tasks.put(running)
        if spawn:
            threading.Thread(target=self._work, name=f"{self._name}-{number}",
                             daemon=True).start()
        return running

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
            try:
                reusable = task._run()
            except BaseException:  # a stop landing as its bookkeeping ended: retire anyway
                reusable = False
                task._end()
            if not reusable:
                return  # stopped: never reused; it was busy, so no queued task counts on it
            with self._lock:
                self._idle += 1
