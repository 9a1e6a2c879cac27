"""Quota windows are calendar windows in UTC: properties over any instant (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderev.ports import QuotaLimit
from coderev.quotas.counters import counters
from coderev.quotas.windows import WINDOWS, window_bounds, window_id, window_reset_s

INSTANTS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 1),
                        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                                                   timezone(timedelta(hours=-8))]))  # fmt: skip
KINDS = st.sampled_from(WINDOWS)
LENGTH = {"minute": (timedelta(minutes=1),) * 2, "day": (timedelta(days=1),) * 2,
          "month": (timedelta(days=28), timedelta(days=31))}  # fmt: skip


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(now=INSTANTS, window=KINDS)
def test_the_window_contains_now_and_starts_on_a_calendar_boundary(
    now: datetime, window: str
) -> None:
    start, end = window_bounds(window, now)
    assert start <= now < end
    assert start.tzinfo == UTC and start.second == start.microsecond == 0
    if window != "minute":
        assert start.hour == start.minute == 0
    if window == "month":
        assert start.day == 1 and end.day == 1
    shortest, longest = LENGTH[window]
    assert shortest <= end - start <= longest


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(now=INSTANTS, window=KINDS)
def test_consecutive_windows_tile_time(now: datetime, window: str) -> None:
    start, end = window_bounds(window, now)
    assert window_bounds(window, end)[0] == end  # the next starts where this one ends
    assert window_bounds(window, end - timedelta(microseconds=1)) == (start, end)
    assert window_id(window, end) != window_id(window, now)
    assert window_id(window, start) == window_id(window, now) == window_id(
        window, end - timedelta(microseconds=1))  # fmt: skip


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(now=INSTANTS, window=KINDS)
def test_retry_after_is_the_time_left_in_the_window(now: datetime, window: str) -> None:
    _, end = window_bounds(window, now)
    left = window_reset_s(window, now)
    assert 0 < left <= (end - window_bounds(window, now)[0]).total_seconds()
    assert now + timedelta(seconds=left) == end


@settings(deadline=None)  # pure arithmetic: a loaded machine must not fail it
@given(now=INSTANTS, window=KINDS, limit=st.integers(0, 10**12))
def test_a_counter_is_named_by_its_window_and_expires_after_it(
    now: datetime, window: str, limit: int
) -> None:
    (counter,) = counters((QuotaLimit("tenant:a", "tokens", window, limit),), {"tokens": 3}, now)
    _, end = window_bounds(window, now)
    assert counter.key == f"tenant:a|tokens|{window}|{window_id(window, now)}"
    assert counter.expires_at > end and counter.reset_s == window_reset_s(window, now)


def test_windows_are_utc_whatever_the_caller_s_zone() -> None:
    # 23:30 on 31 Jan in UTC-8 is 07:30 on 1 Feb in UTC: February's day and month
    now = datetime(2026, 1, 31, 23, 30, tzinfo=timezone(timedelta(hours=-8)))
    assert window_id("day", now) == "2026-02-01" and window_id("month", now) == "2026-02"
    assert window_reset_s("day", now) == 16.5 * 3600
    assert window_id("minute", datetime(2026, 12, 31, 23, 59, 59)) == "2026-12-31T23:59"
    assert window_bounds("month", datetime(2026, 12, 15, tzinfo=UTC))[1] == datetime(
        2027, 1, 1, tzinfo=UTC)  # fmt: skip


def test_an_unknown_window_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown quota window 'week'"):
        window_bounds("week", datetime.now(UTC))
