"""EventBridge schedule expressions: rate(), cron() and at(), and their next fire times.

Why by hand: croniter and cronsim evaluate Unix cron (five fields, Sunday = 0). AWS
cron has six fields with a year, numbers Sunday as 1, requires `?` in exactly one of
day-of-month and day-of-week, and adds `L`, `W` and `#`. Translating would still leave
the year and the day rules to write, so the evaluator below implements AWS's rules
directly; it walks allowed years, months and days, never minute by minute.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coderev.runtime.errors import ScheduleExpressionError

__all__ = ["AtExpression", "CronExpression", "Expression", "RateExpression", "parse_schedule"]

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MAX_YEAR = 2199


@dataclass(frozen=True)
class RateExpression:
    expression: str
    period: timedelta

    def next_after(self, after: datetime, *, anchor: datetime) -> datetime:
        """The first `anchor + k * period` (k >= 1) strictly after `after`."""
        elapsed = max(after - anchor, timedelta(0))
        periods = elapsed // self.period + 1
        return anchor + self.period * periods


@dataclass(frozen=True)
class AtExpression:
    """EventBridge Scheduler's one-time schedule, `at(2026-12-01T09:00:00)`."""

    expression: str
    when: datetime

    def next_after(self, after: datetime) -> datetime | None:
        return self.when if self.when > after else None


@dataclass(frozen=True)
class CronExpression:
    """An AWS cron expression; days are matched per month, times per day."""

    expression: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    months: tuple[int, ...]
    years: tuple[int, ...]
    days: frozenset[int] = frozenset()
    last_day: bool = False
    last_weekday: bool = False
    nearest_weekdays: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    last_weekdays_of: frozenset[int] = frozenset()
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()
    by_weekday: bool = False
    zone: tzinfo = UTC

    def days_in(self, year: int, month: int) -> list[int]:
        """The days of `month` on which the expression fires, in order."""
        length = calendar.monthrange(year, month)[1]
        chosen: set[int] = set()
        if self.by_weekday:
            for day in range(1, length + 1):
                weekday = _aws_weekday(date(year, month, day))
                if weekday in self.weekdays:
                    chosen.add(day)
                if weekday in self.last_weekdays_of and day + 7 > length:
                    chosen.add(day)
                if (weekday, (day - 1) // 7 + 1) in self.nth_weekdays:
                    chosen.add(day)
            return sorted(chosen)
        chosen.update(day for day in self.days if day <= length)
        if self.last_day:
            chosen.add(length)
        if self.last_weekday:
            chosen.add(_nearest_weekday(year, month, length, length))
        chosen.update(_nearest_weekday(year, month, day, length)
                      for day in self.nearest_weekdays if day <= length)
        return sorted(chosen)

    def next_after(self, after: datetime) -> datetime | None:
        """The first fire time strictly after `after` (aware), in UTC; None if none left."""
        local = after.astimezone(self.zone)
        start = (local.replace(second=0, microsecond=0) + timedelta(minutes=1)).replace(
            tzinfo=None)
        for year in (y for y in self.years if y >= start.year):
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                for day in self.days_in(year, month):
                    if (year, month, day) < (start.year, start.month, start.day):
                        continue
                    same_day = (year, month, day) == (start.year, start.month, start.day)
                    for hour in self.hours:
                        if same_day and hour < start.hour:
                            continue
                        for minute in self.minutes:
                            candidate = datetime(year, month, day, hour, minute)
                            if candidate < start:
                                continue
                            fire = candidate.replace(tzinfo=self.zone).astimezone(UTC)
                            if fire > after:
                                return fire
        return None


Expression = RateExpression | CronExpression | AtExpression


def parse_schedule(expression: str, timezone: str | None = None) -> Expression:
    """Parse `rate(...)`, `cron(...)` or `at(...)` as EventBridge does, or raise."""
    text = expression.strip()
    zone = _zone(expression, timezone)
    if text.startswith("rate("):
        match = _RATE.fullmatch(text)
        if match is None:
            raise ScheduleExpressionError(expression, "expected rate(N minute[s]|hour[s]|day[s])")
        value, unit = int(match.group(1)), match.group(2)
        if value < 1:
            raise ScheduleExpressionError(expression, "the rate must be positive")
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleExpressionError(expression, "use a singular unit for 1, plural else")
        return RateExpression(text, timedelta(seconds=value * _UNITS[unit.rstrip("s")]))
    if text.startswith("at(") and text.endswith(")"):
        try:
            when = datetime.strptime(text[3:-1].strip(), "%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise ScheduleExpressionError(expression, "expected at(yyyy-mm-ddThh:mm:ss)") from None
        return AtExpression(text, when.replace(tzinfo=zone).astimezone(UTC))
    if text.startswith("cron(") and text.endswith(")"):
        return _cron(expression, text[5:-1].split(), zone)
    raise ScheduleExpressionError(expression, "expected rate(...), cron(...) or at(...)")


def _zone(expression: str, timezone: str | None) -> tzinfo:
    if not timezone:
        return UTC
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(expression, f"unknown time zone {timezone!r}") from None


def _cron(expression: str, fields: list[str], zone: tzinfo) -> CronExpression:
    if len(fields) != 6:
        raise ScheduleExpressionError(
            expression, "AWS cron has six fields: minutes hours day-of-month month "
            "day-of-week year")
    minute, hour, dom, month, dow, year = (f.upper() for f in fields)
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionError(
            expression, "use ? in exactly one of day-of-month and day-of-week")

    def values(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
        return _field(expression, text, low, high, names or {})

    common: dict[str, Any] = {
        "minutes": tuple(sorted(values(minute, 0, 59))),
        "hours": tuple(sorted(values(hour, 0, 23))),
        "months": tuple(sorted(values(month, 1, 12, _MONTHS))),
        "years": tuple(sorted(values(year, 1970, _MAX_YEAR))),
        "zone": zone,
    }
    if dom == "?":
        return CronExpression(expression, by_weekday=True, **common, **_weekday_rules(
            expression, dow))
    plain, nearest = set(), set()
    last_day = last_weekday = False
    for item in dom.split(","):
        if item == "L":
            last_day = True
        elif item == "LW":
            last_weekday = True
        elif item.endswith("W"):
            nearest |= values(item[:-1], 1, 31)
        else:
            plain |= values(item, 1, 31)
    return CronExpression(expression, days=frozenset(plain), last_day=last_day,
                          last_weekday=last_weekday, nearest_weekdays=frozenset(nearest),
                          **common)


def _weekday_rules(expression: str, text: str) -> dict[str, Any]:
    plain: set[int] = set()
    last_of: set[int] = set()
    nth: set[tuple[int, int]] = set()
    for item in text.split(","):
        if item == "L":
            last_of.add(7)
        elif item.endswith("L"):
            last_of |= _field(expression, item[:-1], 1, 7, _DAYS)
        elif "#" in item:
            day, _, which = item.partition("#")
            if not which.isdigit() or not 1 <= int(which) <= 5:
                raise ScheduleExpressionError(expression, f"{item}: # takes 1 to 5")
            nth |= {(weekday, int(which)) for weekday in _field(expression, day, 1, 7, _DAYS)}
        else:
            plain |= _field(expression, item, 1, 7, _DAYS)
    return {"weekdays": frozenset(plain), "last_weekdays_of": frozenset(last_of),
            "nth_weekdays": frozenset(nth)}


def _field(expression: str, text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    chosen: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = _number(expression, step_text, names={}) if step_text else 1
        if step < 1:
            raise ScheduleExpressionError(expression, f"{item}: the step must be positive")
        if base in ("*", "?"):
            first, last = low, high
        elif "-" in base:
            start, _, end = base.partition("-")
            first, last = _number(expression, start, names), _number(expression, end, names)
        else:
            first = _number(expression, base, names)
            last = high if step_text else first
        if not low <= first <= last <= high:
            raise ScheduleExpressionError(expression, f"{item!r} is outside {low}-{high}")
        chosen.update(range(first, last + 1, step))
    return chosen


def _number(expression: str, text: str, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise ScheduleExpressionError(expression, f"{text!r} is not a number or a name")
    return int(text)


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, day: int, length: int) -> int:
    weekday = date(year, month, day).weekday()
    if weekday == 5:
        return day - 1 if day > 1 else day + 2
    if weekday == 6:
        return day + 1 if day < length else day - 2
    return day
