"""An execution's record: status, input/output, error/cause and its event history."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ExecutionStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One event as GetExecutionHistory reports it (type names are the AWS ones)."""

    id: int
    previous_event_id: int
    timestamp: datetime
    type: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Execution:
    execution_arn: str
    state_machine_arn: str
    name: str
    input: Any
    start_date: datetime
    status: ExecutionStatus = ExecutionStatus.RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop_date: datetime | None = None
    history: list[HistoryEvent] = field(default_factory=list)
    # held to change or read the history; notified when an event is appended
    _changed: threading.Condition = field(default_factory=threading.Condition, repr=False,
                                          compare=False)  # fmt: skip

    def record(
        self,
        type_: str,
        timestamp: datetime,
        details: dict[str, Any] | None = None,
        previous: int | None = None,
    ) -> int:
        """Append an event; returns its id. Thread-safe (Map and Parallel run in threads)."""
        with self._changed:
            event_id = len(self.history) + 1
            prev = event_id - 1 if previous is None else previous
            self.history.append(HistoryEvent(event_id, prev, timestamp, type_, details or {}))
            self._changed.notify_all()
            return event_id

    @property
    def output_json(self) -> str | None:
        return None if self.status != ExecutionStatus.SUCCEEDED else json.dumps(self.output)

    def events(self, type_: str | None = None) -> list[HistoryEvent]:
        with self._changed:
            return [e for e in self.history if type_ is None or e.type == type_]

    def wait_for_events(self, count: int, timeout: float) -> bool:
        """Wait until the history holds more than `count` events, at most `timeout` seconds;
        whether it does (a follower wakes when something happened instead of polling)."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self.history) > count, timeout)
