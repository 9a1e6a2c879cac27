"""Requests per principal at the gateway: `429 Too Many Requests` with `Retry-After` past the
limit, as API Gateway's throttling answers (per usage-plan key there; per principal here).

A generic cell rate algorithm (GCRA, the token bucket without a refill timer): each key
has a theoretical arrival time; a request is admitted while it is at most `burst` intervals
ahead of now, and a refused one is told exactly when the next would be admitted. Keys are
the authorizer's principalId on protected routes and the client address on public ones
(login, register: guessing passwords is bounded too). Why hand-written: a dozen lines of
arithmetic under one lock in one process (the local gateway), where a library would bring a
storage abstraction this does not need. Idle keys are forgotten so memory stays bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimiter", "Throttled"]


@dataclass(frozen=True)
class Throttled:
    """A refusal: retry after `retry_after` seconds (>= 1, whole, as Retry-After is)."""

    retry_after: int


class RateLimiter:
    """At most `per_minute` requests a minute per key, evenly, plus `burst` at once."""

    def __init__(self, per_minute: int, burst: int, *,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):  # fmt: skip
        if per_minute <= 0 or burst <= 0:
            raise ValueError("a rate limit needs a positive rate and burst")
        self.interval = 60.0 / per_minute
        self.tolerance = self.interval * (burst - 1)
        self.clock = clock
        self.max_keys = max_keys
        self._arrivals: dict[str, float] = {}
        self._lock = threading.Lock()

    def admit(self, key: str) -> Throttled | None:
        """None when the request may proceed (and it is counted), else how long to wait."""
        now = self.clock()
        with self._lock:
            arrival = max(self._arrivals.get(key, now), now)
            if arrival - now > self.tolerance:
                return Throttled(max(1, math.ceil(arrival - now - self.tolerance)))
            self._arrivals[key] = arrival + self.interval
            if len(self._arrivals) > self.max_keys:
                self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        """Keys whose every request has been paid back are as good as new."""
        for key in [key for key, arrival in self._arrivals.items() if arrival <= now]:
            del self._arrivals[key]
