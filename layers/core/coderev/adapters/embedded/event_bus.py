"""The embedded EventBus: an in-process log of topics with Kafka's observable behaviour.

It is the zero-service default and the fake of the event bus contract suite. What it shares
with the Kafka adapter lives here so both behave alike:

- `encode_value`: the wire value of an event — compact UTF-8 JSON; a value that is not JSON
  is refused at publish time with `InvalidEventError`, not in a background thread.
- `validate_topic`: Kafka's topic name rules (1-249 of `[a-zA-Z0-9._-]`, not "." or "..").
- `EventRecord`: one published record as a consumer sees it (topic, partition, offset,
  timestamp, key, value, headers); CloudEvents get the `content-type` header of structured mode.
- `lambda_kafka_event`: records as the event AWS Lambda passes to a Kafka-triggered function.

`InMemoryEventBus` keeps every record in `recorded` (one partition per topic, offsets from 0)
and calls the topic's subscribers synchronously, in the publishing thread, after the record is
appended; a subscriber's exception propagates to the publisher so a test sees it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coderev.domain.errors import CoderevError
from coderev.domain.events import CONTENT_TYPE, InvalidEventError

__all__ = [
    "EventRecord",
    "InMemoryEventBus",
    "InvalidTopicError",
    "encode_value",
    "lambda_kafka_event",
    "record_headers",
    "validate_topic",
]

_TOPIC = re.compile(r"[a-zA-Z0-9._-]{1,249}")
_TIMESTAMP_TYPES = {0: "CREATE_TIME", 1: "LOG_APPEND_TIME"}

Subscriber = Callable[["EventRecord"], object]


class InvalidTopicError(CoderevError, ValueError):
    """A topic name Kafka would refuse."""


def validate_topic(topic: str) -> str:
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic) or topic in {".", ".."}:
        raise InvalidTopicError(f"topic {topic!r} is not 1-249 characters of [a-zA-Z0-9._-]")
    return topic


def encode_value(event: Mapping[str, Any]) -> bytes:
    """The wire value of an event: compact JSON in UTF-8."""
    try:
        text = json.dumps(dict(event), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEventError(f"event is not JSON-serializable: {exc}") from exc
    return text.encode("utf-8")


def record_headers(event: Mapping[str, Any]) -> tuple[tuple[str, bytes], ...]:
    """Headers sent with an event: CloudEvents structured mode announces itself; the W3C trace
    context of the span publishing it (`traceparent`), when tracing is on, so its consumers
    join the trace."""
    from coderev.telemetry.tracing import carrier

    trace = tuple((name, value.encode("ascii")) for name, value in carrier().items())
    if "specversion" in event:
        return (("content-type", CONTENT_TYPE.encode("ascii")), *trace)
    return trace


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One record of a topic partition, as a consumer receives it."""

    topic: str
    partition: int
    offset: int
    timestamp: int  # milliseconds since the epoch
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_type: str = "CREATE_TIME"

    @property
    def event(self) -> dict[str, Any]:
        """The value decoded from JSON."""
        decoded: dict[str, Any] = json.loads(self.value)
        return decoded

    @classmethod
    def from_consumer_record(cls, record: Any) -> EventRecord:
        """Adapt a kafka-python `ConsumerRecord` (duck-typed: this module imports no client)."""
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp=record.timestamp,
            key=record.key,
            value=b"" if record.value is None else record.value,  # a tombstone: empty
            headers=tuple((name, bytes(value or b"")) for name, value in record.headers or ()),
            timestamp_type=_TIMESTAMP_TYPES.get(record.timestamp_type, "CREATE_TIME"),
        )


def lambda_kafka_event(records: Iterable[EventRecord], *, bootstrap_servers: str) -> dict[str, Any]:
    """The event Lambda passes for a self-managed Kafka trigger: records grouped by
    "<topic>-<partition>", key and value base64, headers as `{name: [byte, ...]}`."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        entry: dict[str, Any] = {
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "timestamp": record.timestamp,
            "timestampType": record.timestamp_type,
        }
        if record.key is not None:
            entry["key"] = base64.b64encode(record.key).decode("ascii")
        entry["value"] = base64.b64encode(record.value).decode("ascii")
        entry["headers"] = [{name: list(value)} for name, value in record.headers]
        grouped.setdefault(f"{record.topic}-{record.partition}", []).append(entry)
    return {
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": bootstrap_servers,
        "records": grouped,
    }


class InMemoryEventBus:
    """An EventBus in one process: records every event and hands it to the topic's subscribers."""

    bootstrap_servers = "embedded"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[EventRecord] = []
        self._next_offset: dict[str, int] = {}
        self._subscribers: dict[str, list[Subscriber]] = {}

    def publish(self, topic: str, event: Mapping[str, Any], *, key: str | None = None) -> None:
        validate_topic(topic)
        value = encode_value(event)
        with self._lock:
            offset = self._next_offset.get(topic, 0)
            self._next_offset[topic] = offset + 1
            record = EventRecord(
                topic=topic,
                partition=0,
                offset=offset,
                timestamp=time.time_ns() // 1_000_000,
                key=None if key is None else key.encode("utf-8"),
                value=value,
                headers=record_headers(event),
            )
            self._records.append(record)
            subscribers = list(self._subscribers.get(topic, ()))
        for subscriber in subscribers:
            subscriber(record)

    def flush(self, timeout: float = 10.0) -> None:
        """Nothing is buffered: every publish is delivered before it returns."""

    def subscribe(self, topic: str, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(record)` for each later event on `topic`; returns the unsubscriber."""
        validate_topic(topic)
        with self._lock:
            self._subscribers.setdefault(topic, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(topic, [])
                if callback in callbacks:
                    callbacks.remove(callback)

        return unsubscribe

    @property
    def recorded(self) -> list[EventRecord]:
        """A copy of every record published so far, in publish order."""
        with self._lock:
            return list(self._records)

    def records(self, topic: str) -> list[EventRecord]:
        """The records of one topic, in offset order."""
        with self._lock:
            return [record for record in self._records if record.topic == topic]

    def clear(self) -> None:
        """Forget the recorded events (offsets keep growing, as on a real topic)."""
        with self._lock:
            self._records.clear()
