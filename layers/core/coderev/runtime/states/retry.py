"""Retry and Catch: which retrier or catcher an error name matches, and back-off delays.

States.ALL matches every error except States.Runtime (AWS: runtime errors are not
retriable and cannot be caught) and States.DataLimitExceeded (terminal unless named
explicitly); States.TaskFailed matches every error except States.Timeout.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

UNCATCHABLE = frozenset({"States.Runtime"})
NOT_IN_ALL = frozenset({"States.DataLimitExceeded"})


def error_matches(names: Sequence[str], error: str) -> bool:
    if error in UNCATCHABLE:
        return False
    if error in names:
        return True
    if error in NOT_IN_ALL:
        return False
    if "States.ALL" in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout"


def find(items: Sequence[Mapping[str, Any]], error: str) -> tuple[int, Mapping[str, Any]] | None:
    """The first retrier/catcher whose ErrorEquals matches `error`, with its position."""
    for index, item in enumerate(items):
        if error_matches(item["ErrorEquals"], error):
            return index, item
    return None


def delay(retrier: Mapping[str, Any], attempt: int, rng: random.Random) -> float:
    """Seconds to wait before retry number `attempt` (0-based) of `retrier`."""
    interval = float(retrier.get("IntervalSeconds", 1))
    backoff = float(retrier.get("BackoffRate", 2.0))
    seconds = interval * backoff**attempt
    if "MaxDelaySeconds" in retrier:
        seconds = min(seconds, float(retrier["MaxDelaySeconds"]))
    if retrier.get("JitterStrategy", "NONE") == "FULL":
        seconds = rng.uniform(0, seconds)
    return seconds


class RetryBudget:
    """Attempts made per retrier of one state entry (each retrier counts on its own)."""

    def __init__(self, retriers: Sequence[Mapping[str, Any]]) -> None:
        self.retriers = retriers
        self.used = [0] * len(retriers)

    @property
    def total(self) -> int:
        return sum(self.used)

    def next_delay(self, error: str, rng: random.Random) -> float | None:
        """The wait before the next attempt, or None when `error` is not retried any more."""
        found = find(self.retriers, error)
        if found is None:
            return None
        index, retrier = found
        if self.used[index] >= int(retrier.get("MaxAttempts", 3)):
            return None
        seconds = delay(retrier, self.used[index], rng)
        self.used[index] += 1
        return seconds
