"""A per-file time budget, so one pathological file cannot stall a whole review.

On the main thread of a process (where analysis workers run) the budget arms a real-time
interval timer whose SIGALRM raises `FileBudgetExceededError` wherever the interpreter is;
elsewhere (threads, platforms without setitimer) only the cheap `check()` calls that the
walkers make every few thousand nodes/tokens enforce it. Neither can interrupt a single long C
call such as `ast.parse` itself, which is linear in the input and is measured, not cut short.
Arming the timer costs a few system calls, so callers may skip it (`use_signal=False`) for
inputs too small to run long, where the checks alone are enough.
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType, TracebackType
from typing import Any

from coderev.domain.errors import CoderevError


class FileBudgetExceededError(CoderevError):
    """Analysing one file took longer than its budget."""

    def __init__(self, seconds: float, *, use_signal: bool = True) -> None:
        self.seconds = seconds
        self.use_signal = use_signal
        super().__init__(f"analysis exceeded its time budget of {seconds:g} s")


class TimeBudget:
    """`with TimeBudget(2.0) as b: ... b.check() ...` raises FileBudgetExceededError once late."""

    def __init__(self, seconds: float, *, use_signal: bool = True) -> None:
        self.seconds = seconds
        self.use_signal = use_signal
        self.deadline = 0.0
        self._armed = False
        self._old_handler: Any = None
        self._old_timer: tuple[float, float] = (0.0, 0.0)

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise FileBudgetExceededError(self.seconds)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        raise FileBudgetExceededError(self.seconds)

    def __enter__(self) -> TimeBudget:
        self.deadline = time.perf_counter() + self.seconds
        if (
            self.use_signal
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        ):
            self._old_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            self._old_timer = signal.setitimer(signal.ITIMER_REAL, self.seconds)
            self._armed = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._armed:
            return
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # an alarm landing just before the line above still restores the handler
            signal.signal(signal.SIGALRM, self._old_handler)
            self._armed = False
        delay, interval = self._old_timer
        if delay > 0:  # someone else's timer was running: give it back, less the time we took
            elapsed = time.perf_counter() - (self.deadline - self.seconds)
            signal.setitimer(signal.ITIMER_REAL, max(delay - elapsed, 1e-3), interval)
