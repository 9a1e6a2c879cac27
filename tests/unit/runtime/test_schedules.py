"""rate(), cron() and at() expressions as EventBridge reads them, and the scheduler."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from coderev.runtime.errors import ScheduleExpressionError, TemplateError
from coderev.runtime.event_sources.schedules import (
    AtExpression,
    CronExpression,
    RateExpression,
    Scheduler,
    parse_schedule,
)
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import load_template

TEMPLATES = Path(__file__).parents[2] / "fixtures" / "templates"
THURSDAY = datetime(2026, 11, 26, 21, 47, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("expression", "seconds"), [
    ("rate(1 minute)", 60),
    ("rate(5 minutes)", 300),
    ("rate(1 hour)", 3600),
    ("rate(12 hours)", 43200),
    ("rate(1 day)", 86400),
    ("rate(7 days)", 604800),
])
def test_rate_expressions(expression, seconds):
    parsed = parse_schedule(expression)
    assert isinstance(parsed, RateExpression)
    assert parsed.period == timedelta(seconds=seconds)


def test_rate_fires_on_its_anchor_grid_strictly_after():
    five = parse_schedule("rate(5 minutes)")
    assert isinstance(five, RateExpression)
    anchor = utc(2026, 11, 26, 10, 0)
    assert five.next_after(utc(2026, 11, 26, 10, 7, 30), anchor=anchor) == utc(
        2026, 11, 26, 10, 10)
    assert five.next_after(utc(2026, 11, 26, 10, 10), anchor=anchor) == utc(
        2026, 11, 26, 10, 15)
    assert five.next_after(anchor, anchor=anchor) == utc(2026, 11, 26, 10, 5)


@pytest.mark.parametrize(("expression", "after", "expected"), [
    ("cron(0 12 * * ? *)", THURSDAY, utc(2026, 11, 27, 12, 0)),
    ("cron(0/15 * * * ? *)", THURSDAY, utc(2026, 11, 26, 22, 0)),
    ("cron(5,50 21 * * ? *)", THURSDAY, utc(2026, 11, 26, 21, 50)),
    ("cron(0 8 1 * ? *)", THURSDAY, utc(2026, 12, 1, 8, 0)),
    ("cron(0 18 ? * MON-FRI *)", THURSDAY, utc(2026, 11, 27, 18, 0)),
    ("cron(0 18 ? * 2-6 *)", THURSDAY, utc(2026, 11, 27, 18, 0)),
    ("cron(0 10 ? * SAT,SUN *)", THURSDAY, utc(2026, 11, 28, 10, 0)),
    ("cron(15 10 ? * 6L 2026-2027)", THURSDAY, utc(2026, 11, 27, 10, 15)),
    ("cron(0 9 ? * 2#1 *)", THURSDAY, utc(2026, 12, 7, 9, 0)),
    ("cron(0 0 ? * L *)", THURSDAY, utc(2026, 11, 28, 0, 0)),
    ("cron(0 0 L * ? *)", THURSDAY, utc(2026, 11, 30, 0, 0)),
    ("cron(0 0 L 2 ? *)", THURSDAY, utc(2027, 2, 28, 0, 0)),
    ("cron(0 0 LW 1 ? *)", THURSDAY, utc(2027, 1, 29, 0, 0)),
    ("cron(0 0 15W 8 ? *)", utc(2026, 8, 1), utc(2026, 8, 14, 0, 0)),
    ("cron(0 0 1W 8 ? *)", utc(2026, 7, 1), utc(2026, 8, 3, 0, 0)),
    ("cron(0 0 29 2 ? *)", THURSDAY, utc(2028, 2, 29, 0, 0)),
    ("cron(30 9 ? JAN,JUL SUN *)", THURSDAY, utc(2027, 1, 3, 9, 30)),
    ("cron(0 0 1 */3 ? *)", THURSDAY, utc(2027, 1, 1, 0, 0)),
    ("cron(0 0 31 * ? *)", utc(2026, 11, 1), utc(2026, 12, 31, 0, 0)),
    ("cron(0 10 * * ? 2025)", THURSDAY, None),
    ("cron(47 21 26 11 ? 2026)", THURSDAY, None),
])
def test_cron_next_fire_times(expression, after, expected):
    parsed = parse_schedule(expression)
    assert isinstance(parsed, CronExpression)
    assert parsed.next_after(after) == expected


def test_cron_fire_times_follow_one_another():
    parsed = parse_schedule("cron(0/20 8-9 ? * MON#2,FRI *)")
    assert isinstance(parsed, CronExpression)
    times = []
    moment = THURSDAY
    for _ in range(8):
        moment = parsed.next_after(moment)
        assert moment is not None
        times.append(moment)
    assert times[:3] == [utc(2026, 11, 27, 8, 0), utc(2026, 11, 27, 8, 20),
                         utc(2026, 11, 27, 8, 40)]
    assert times[6] == utc(2026, 12, 4, 8, 0)
    assert all(a < b for a, b in itertools.pairwise(times))


def test_cron_in_a_time_zone_follows_daylight_saving():
    parsed = parse_schedule("cron(0 9 ? * MON-FRI *)", "Europe/Paris")
    assert isinstance(parsed, CronExpression)
    assert parsed.next_after(THURSDAY) == utc(2026, 11, 27, 8, 0)
    assert parsed.next_after(utc(2026, 7, 1)) == utc(2026, 7, 1, 7, 0)


def test_at_expressions_fire_once():
    parsed = parse_schedule("at(2026-12-01T09:00:00)", "Europe/Paris")
    assert isinstance(parsed, AtExpression)
    assert parsed.next_after(THURSDAY) == utc(2026, 12, 1, 8, 0)
    assert parsed.next_after(utc(2026, 12, 2)) is None


@pytest.mark.parametrize(("expression", "reason"), [
    ("rate(1 minutes)", "singular"),
    ("rate(2 minute)", "singular"),
    ("rate(0 minutes)", "positive"),
    ("rate(5 seconds)", "expected rate"),
    ("cron(0 12 * * ?)", "six fields"),
    ("cron(0 12 * * * *)", "exactly one"),
    ("cron(0 12 ? * ? *)", "exactly one"),
    ("cron(60 12 * * ? *)", "outside 0-59"),
    ("cron(0 12 ? * 2#6 *)", "1 to 5"),
    ("cron(0 12 ? * FUN *)", "not a number"),
    ("cron(0 12 ? * 8 *)", "outside 1-7"),
    ("cron(0 12 * 5-3 ? *)", "outside 1-12"),
    ("cron(0 12 * * ? 2300)", "outside 1970-2199"),
    ("every 5 minutes", "expected rate"),
    ("at(tomorrow)", "expected at"),
])
def test_invalid_expressions_are_typed_errors(expression, reason):
    with pytest.raises(ScheduleExpressionError, match=reason) as raised:
        parse_schedule(expression)
    assert raised.value.expression == expression


def test_an_unknown_time_zone_is_an_error():
    with pytest.raises(ScheduleExpressionError, match="unknown time zone"):
        parse_schedule("rate(1 hour)", "Mars/Olympus")


def test_an_invalid_schedule_in_the_template_names_the_event(tmp_path):
    text = (TEMPLATES / "schedules.yaml").read_text().replace("cron(0/5 * * * ? *)",
                                                              "cron(0/5 * * * * *)")
    path = tmp_path / "templates" / "bad.yaml"
    path.parent.mkdir()
    path.write_text(text.replace("../functions/", str(TEMPLATES.parent / "functions") + "/"))
    with pytest.raises(TemplateError) as raised:
        load_template(path)
    assert (raised.value.resource, raised.value.prop) == (
        "SweepFunction", "Events.EveryFive.Properties")


@pytest.fixture
def invoker():
    with LocalInvoker(TEMPLATES / "schedules.yaml") as local:
        yield local


def test_the_scheduler_fires_due_schedules_with_the_eventbridge_shape(invoker):
    scheduler = Scheduler(invoker, clock=lambda: THURSDAY)
    assert scheduler.next_fire_times == {
        "SweepFunction.EveryFive": utc(2026, 11, 26, 21, 50),
        "SweepFunction.EveryMinute": utc(2026, 11, 26, 21, 48),
    }
    assert scheduler.tick(utc(2026, 11, 26, 21, 47, 30)) == []
    (probe,) = scheduler.tick(utc(2026, 11, 26, 21, 48))
    assert (probe.schedule, probe.event) == ("EveryMinute", {"job": "probe"})
    assert probe.invocation.result(10).payload["event"] == {"job": "probe"}
    fired = {f.schedule: f for f in scheduler.tick(utc(2026, 11, 26, 21, 50))}
    assert set(fired) == {"EveryFive", "EveryMinute"}
    event = fired["EveryFive"].event
    assert event == {
        "version": "0", "id": event["id"], "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "123456789012", "time": "2026-11-26T21:50:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/"
                      "coderev-SweepFunctionEveryFive"],
        "detail": {},
    }
    assert fired["EveryFive"].invocation.result(10).payload["event"] == event
    parsed = EventBridgeModel.model_validate(event)
    assert parsed.detail_type == "Scheduled Event"


def test_missed_fire_times_fire_once_without_backfill(invoker):
    scheduler = Scheduler(invoker, clock=lambda: THURSDAY)
    fired = scheduler.tick(utc(2026, 11, 26, 22, 31))
    assert sorted(f.schedule for f in fired) == ["EveryFive", "EveryMinute"]
    assert scheduler.next_fire_times == {
        "SweepFunction.EveryFive": utc(2026, 11, 26, 22, 35),
        "SweepFunction.EveryMinute": utc(2026, 11, 26, 22, 32),
    }
    for firing in fired:
        assert firing.invocation.result(10).ok


def test_the_scheduler_thread_fires_from_its_clock_and_stops_cleanly(invoker):
    lock = threading.Lock()
    now = [THURSDAY]

    def clock() -> datetime:
        with lock:
            now[0] += timedelta(seconds=30)
            return now[0]

    scheduler = Scheduler(invoker, clock=clock, poll_interval=0.01).start()
    deadline = time.monotonic() + 10
    while invoker.stats("SweepFunction").invocations < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    scheduler.stop(timeout=5)
    assert invoker.stats("SweepFunction").invocations >= 4
    assert scheduler._thread is not None and not scheduler._thread.is_alive()
