"""What every QuotaStore adapter shares: which counter each limit spends, and the decision
from the counters' values before the spend.

A counter is one limit's window: key `<scope>|<metric>|<window>|<window id>`. The adapters
read every counter, admit only when each one with something to spend has room
(`used + amount <= limit`), and then spend all of them, in one atomic step of their own (a
Lua script, a SQLite write transaction); this module turns what they read into the
QuotaDecision, so both adapters decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from coderev.ports import QuotaDecision, QuotaLimit
from coderev.quotas.errors import InvalidQuotaRequestError
from coderev.quotas.limits import METRICS
from coderev.quotas.windows import window_bounds, window_id, window_utc

__all__ = ["EXPIRY_GRACE", "Counter", "counters", "decide", "denies", "utc_now"]

EXPIRY_GRACE = timedelta(minutes=1)
"""A counter outlives its window by this much: clients whose clocks lag a little still find
it rather than a fresh one."""


@dataclass(frozen=True, slots=True)
class Counter:
    limit: QuotaLimit
    key: str
    amount: int
    expires_at: datetime
    reset_s: float  # seconds from `now` until the window ends


def utc_now() -> datetime:
    return datetime.now(UTC)


def _amounts(amounts: Mapping[str, int]) -> dict[str, int]:
    for metric, amount in amounts.items():
        if metric not in METRICS:
            raise InvalidQuotaRequestError(
                f"unknown quota metric {metric!r} (expected {', '.join(METRICS)})"
            )
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise InvalidQuotaRequestError(
                f"quota amount of {metric} must be a whole number >= 0, got {amount!r}"
            )
    return dict(amounts)


def counters(
    limits: Sequence[QuotaLimit], amounts: Mapping[str, int], now: datetime
) -> list[Counter]:
    """One counter per distinct scope, metric and window of `limits` (the smallest limit
    when one is given twice), in the order of first appearance."""
    spend = _amounts(amounts)
    now = window_utc(now)
    minute = int(now.timestamp()) // 60
    by_key: dict[str, Counter] = {}
    for limit in limits:
        if limit.metric not in METRICS:
            raise InvalidQuotaRequestError(f"unknown quota metric {limit.metric!r}")
        name, end = _window(limit.window, minute)
        key = f"{limit.scope}|{limit.metric}|{limit.window}|{name}"
        known = by_key.get(key)
        if known is not None and known.limit.limit <= limit.limit:
            continue
        by_key[key] = Counter(limit, key, spend.get(limit.metric, 0), end + EXPIRY_GRACE,
                              (end - now).total_seconds())  # fmt: skip
    return list(by_key.values())


@lru_cache(maxsize=64)
def _window(window: str, minute: int) -> tuple[str, datetime]:
    """The id and end of the `window` containing the UTC minute `minute` (minutes since the
    epoch): every instant of a minute is in the same minute, day and month, so a check needs
    no calendar arithmetic of its own."""
    start, end = window_bounds(window, datetime.fromtimestamp(minute * 60, UTC))
    return window_id(window, start), end


def _name(limit: QuotaLimit) -> str:
    return f"{limit.scope}|{limit.metric}|{limit.window}"


def denies(counter: Counter, used: int) -> bool:
    return counter.amount > 0 and used + counter.amount > counter.limit.limit


def decide(spent: Sequence[Counter], used_before: Sequence[int]) -> QuotaDecision:
    """The decision for counters whose values before the check were `used_before`: allowed
    (and spent) when none denies; else denied by the first that does, retry_after until the
    latest reset among those that deny (retrying sooner would be denied again)."""
    denying = [c for c, used in zip(spent, used_before, strict=True) if denies(c, used)]
    if denying:
        left = {_name(c.limit): max(c.limit.limit - used, 0)
                for c, used in zip(spent, used_before, strict=True)}  # fmt: skip
        return QuotaDecision(False, max(c.reset_s for c in denying), denying[0].limit, left)
    left = {_name(c.limit): max(c.limit.limit - used - c.amount, 0)
            for c, used in zip(spent, used_before, strict=True)}  # fmt: skip
    return QuotaDecision(True, None, None, left)
