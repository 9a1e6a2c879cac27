"""Quota windows: a minute, a day or a calendar month, aligned to calendar boundaries in UTC.

A window is fixed, not sliding: `day` is 00:00:00 UTC to the next midnight, `month` the first
of the month 00:00 UTC to the first of the next. A fixed window needs one counter per limit
(one Redis key, one SQLite row), which is what makes a check-and-spend over several limits
one atomic step; the price is that a burst straddling a boundary can spend up to twice a
limit within one window's length, the usual trade of fixed-window counters.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["WINDOWS", "window_bounds", "window_id", "window_reset_s", "window_utc"]

WINDOWS = ("minute", "day", "month")


def window_utc(now: datetime) -> datetime:
    """`now` in UTC; a naive datetime is taken to be UTC already."""
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def window_bounds(window: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the `window` that contains `now`, in UTC."""
    now = window_utc(now)
    if window == "minute":
        start = now.replace(second=0, microsecond=0)
        return start, start + timedelta(minutes=1)
    if window == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if window == "month":
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else \
            start.replace(month=start.month + 1)  # fmt: skip
        return start, end
    raise ValueError(f"unknown quota window {window!r}: expected one of {', '.join(WINDOWS)}")


def window_id(window: str, now: datetime) -> str:
    """A name for the window containing `now`, distinct for every window of that kind:
    `2026-03-01T12:07` (minute), `2026-03-01` (day), `2026-03` (month)."""
    start, _ = window_bounds(window, now)
    if window == "minute":
        return start.strftime("%Y-%m-%dT%H:%M")
    return start.strftime("%Y-%m-%d" if window == "day" else "%Y-%m")


def window_reset_s(window: str, now: datetime) -> float:
    """Seconds from `now` until the window containing it ends (in (0, window length])."""
    _, end = window_bounds(window, now)
    return (end - window_utc(now)).total_seconds()
