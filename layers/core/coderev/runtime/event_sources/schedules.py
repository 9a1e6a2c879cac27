"""The local scheduler: fires the template's schedules into the invoker.

Each enabled Schedule or ScheduleV2 event fires through the invoker's asynchronous path
(as EventBridge does: retries and dead letters apply) with the scheduled-event shape or
the schedule's configured Input. Like EventBridge it does not backfill: a schedule that
missed several fire times fires once. Expressions are parsed by
`coderev.runtime.template.schedule_expressions` (the template checks them when it is read).
`scheduled_event` is the event shape, shared with `coderev generate-event schedule`.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from coderev.runtime.invoker import AsyncInvocation, LocalInvoker
from coderev.runtime.template.events import ScheduleEvent
from coderev.runtime.template.intrinsics import StackIdentity
from coderev.runtime.template.schedule_expressions import (
    AtExpression,
    CronExpression,
    Expression,
    RateExpression,
    parse_schedule,
)

__all__ = [
    "AtExpression",
    "CronExpression",
    "Firing",
    "RateExpression",
    "Scheduler",
    "parse_schedule",
    "scheduled_event",
]

logger = logging.getLogger(__name__)


def scheduled_event(
    identity: StackIdentity, rule_name: str, when: datetime, *, scheduler: bool = False
) -> dict[str, Any]:
    """The EventBridge "Scheduled Event" a rule (or, `scheduler`, a Scheduler schedule) sends."""
    if scheduler:
        resource = (f"arn:{identity.partition}:scheduler:{identity.region}:"
                    f"{identity.account_id}:schedule/default/{rule_name}")  # fmt: skip
    else:
        resource = (f"arn:{identity.partition}:events:{identity.region}:"
                    f"{identity.account_id}:rule/{rule_name}")  # fmt: skip
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": identity.account_id,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": identity.region,
        "resources": [resource],
        "detail": {},
    }


@dataclass(frozen=True)
class Firing:
    """One schedule fired: the function, the event sent and the accepted invocation."""

    function: str
    schedule: str
    scheduled_time: datetime
    event: Any
    invocation: AsyncInvocation


@dataclass
class _Entry:
    function: str
    event: ScheduleEvent
    expression: Expression
    next_fire: datetime | None = None


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Scheduler:
    """Fires the template's enabled schedules into the invoker until stopped."""

    invoker: LocalInvoker
    clock: Callable[[], datetime] = _utc_now
    poll_interval: float = 1.0
    _entries: list[_Entry] = field(default_factory=list, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        started = self.clock()
        for function, event in self.invoker.template.events_of(ScheduleEvent):
            if not event.enabled:
                continue
            expression = parse_schedule(event.expression, event.timezone)
            entry = _Entry(function.logical_id, event, expression)
            entry.next_fire = self._next(entry, started, anchor=started)
            self._entries.append(entry)
        self._anchor = started

    @property
    def next_fire_times(self) -> dict[str, datetime | None]:
        """Each schedule's next fire time, keyed `Function.EventName`."""
        return {f"{e.function}.{e.event.name}": e.next_fire for e in self._entries}

    def tick(self, now: datetime | None = None) -> list[Firing]:
        """Fire every schedule due at `now` (default: the clock) once; returns what fired."""
        now = now or self.clock()
        fired: list[Firing] = []
        with self._lock:
            for entry in self._entries:
                if entry.next_fire is None or entry.next_fire > now:
                    continue
                scheduled = entry.next_fire
                payload = self._payload(entry, scheduled)
                invocation = self.invoker.invoke_async(entry.function, payload)
                fired.append(Firing(entry.function, entry.event.name, scheduled, payload,
                                    invocation))
                entry.next_fire = self._next(entry, now, anchor=self._anchor)
        return fired

    def start(self) -> Scheduler:
        self._thread = threading.Thread(target=self.run, name="coderev-scheduler", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        """Fire due schedules until `stop()`; sleeps until the next fire or a poll."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                logger.exception("scheduler tick failed")
            pending = [e.next_fire for e in self._entries if e.next_fire is not None]
            delay = self.poll_interval
            if pending:
                delay = min(delay, max(0.0, (min(pending) - self.clock()).total_seconds()))
            self._stop.wait(delay)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _next(self, entry: _Entry, after: datetime, *, anchor: datetime) -> datetime | None:
        if isinstance(entry.expression, RateExpression):
            return entry.expression.next_after(after, anchor=anchor)
        return entry.expression.next_after(after)

    def _payload(self, entry: _Entry, scheduled: datetime) -> Any:
        if entry.event.input is not None:
            return entry.event.input
        return scheduled_event(self.invoker.template.identity, entry.event.rule_name,
                               scheduled, scheduler=entry.event.kind == "ScheduleV2")  # fmt: skip

