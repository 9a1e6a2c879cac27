"""Kafka consumers for the template's SelfManagedKafka and MSK events, as Lambda's ESM runs them.

Each batch is passed to the function synchronously in Lambda's Kafka event shape (records
grouped by `<topic>-<partition>`, key and value base64; MSK events say `aws:kafka` and carry
the cluster ARN). A batch whose invocation fails (the invoker's errorType/errorMessage, a
throttle) is retried after a backoff; an event over Lambda's 6 MB payload limit is not retried.
When every attempt failed, the batch goes to one of two places, then the offsets are
committed so the consumer moves on:
- the event's `DestinationConfig.OnFailure` queue, when it declares one: one invocation record
  per batch, in Lambda's shape (`kafka_destinations.kafka_failure_record`: condition, invoke
  count, and per `<topic>-<partition>` the first/last offsets and timestamps; not the records);
- otherwise the dead-letter topic (`<topic>.dlq` by default), a local convenience Lambda does
  not have: each record with its key, value and headers plus `dlq.*` headers naming the
  error, the original topic/partition/offset and the function.

Batching, as Lambda's ESM: a batch holds at most BatchSize records (1-10000, default 100) and
is invoked when it is full or when MaximumBatchingWindowInSeconds (0-300, Lambda's Kafka
default 0.5 s) has passed since its first record came; both backends gather the same way.

Retries: Lambda's default for Kafka is to retry until the record expires (effectively for
ever). Locally that would wedge a partition behind one poison record, so the default here is
bounded: `KafkaRetryPolicy()` makes 3 attempts, 0.5 s then 1 s apart (doubling, at most 30 s).

Delivery is at least once. Offsets are committed only after the handler succeeded or the
failure was written (dead-letter topic flushed, invocation record taken by the queue); a crash
before the commit re-delivers the batch; nothing committed is delivered again. Stopping
finishes the in-flight invocation; a batch that succeeded is committed; a failing batch whose
retries the stop cut short is not committed (it comes again on the next start).

Two backends share that policy (`KafkaBatchRunner`):
- `KafkaConsumerWorker`: a real broker through `KafkaConsumerSource`, group id from the
  event's ConsumerGroupId or `coderev-<LogicalId>`, polling until the batch is full or its
  window has passed.
- `EmbeddedKafkaWorker`: the in-process `InMemoryEventBus`; its subscription feeds a queue the
  worker gathers batches from. Committed offsets live in `EmbeddedOffsets`, so a restarted
  worker (same offsets object) resumes after the last commit, replaying from the bus's
  recorded log what was not committed. The bus lives in this process only, so a graceful
  stop also delivers what was already queued (each batch tried once, no retries), as the
  embedded notifications drain theirs: `coderev review --via platform` stops the platform
  right after the analysis ended, and its completed event must still reach the audit sink.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from coderev.adapters.embedded.event_bus import EventRecord, lambda_kafka_event
from coderev.adapters.kafka import KafkaBatch
from coderev.runtime.errors import InvalidEventError, RuntimePlatformError
from coderev.runtime.event_sources.kafka_destinations import (
    DeadLetterPublishError,
    FailureDestinations,
    kafka_failure_record,
)
from coderev.telemetry import tracing

if TYPE_CHECKING:
    from coderev.adapters.embedded.event_bus import InMemoryEventBus
    from coderev.adapters.kafka import KafkaConsumerSource
    from coderev.runtime.invoker import LocalInvoker
    from coderev.runtime.template import FunctionSpec, KafkaEvent

__all__ = [
    "BatchOutcome",
    "DeadLetterPublishError",
    "EmbeddedKafkaWorker",
    "EmbeddedOffsets",
    "Headers",
    "KafkaBatchRunner",
    "KafkaConsumerWorker",
    "KafkaDeadLetterSink",
    "KafkaFailure",
    "KafkaRetryPolicy",
    "KafkaWorkerStats",
    "dead_letter_headers",
]

Headers = tuple[tuple[str, bytes], ...]


@dataclass(frozen=True)
class KafkaRetryPolicy:
    """How often a failing batch is tried, and how long to wait between tries."""

    max_attempts: int = 3
    initial_backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 30.0

    def backoff(self, failed_attempts: int) -> float:
        """The wait after the `failed_attempts`-th failure (1-based)."""
        delay = self.initial_backoff * self.multiplier ** max(0, failed_attempts - 1)
        return float(min(self.max_backoff, delay))


@dataclass(frozen=True)
class KafkaFailure:
    error_type: str
    error_message: str
    request_id: str = ""
    status_code: int = 200
    payload_too_large: bool = False


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch. `settled`: commit it (handled, dead-lettered or sent to
    its on-failure destination)."""

    settled: bool
    attempts: int
    failure: KafkaFailure | None = None
    dead_lettered: int = 0
    sent_on_failure: int = 0  # invocation records sent to the OnFailure destination


def dead_letter_headers(
    record: EventRecord, failure: KafkaFailure, function: str, attempts: int
) -> Headers:
    """The record's own headers, then the `dlq.*` ones saying why and where it came from."""
    added = {
        "dlq.error.type": failure.error_type,
        "dlq.error.message": failure.error_message[:4096],
        "dlq.original.topic": record.topic,
        "dlq.original.partition": str(record.partition),
        "dlq.original.offset": str(record.offset),
        "dlq.original.timestamp": str(record.timestamp),
        "dlq.function": function,
        "dlq.attempts": str(attempts),
    }
    return record.headers + tuple((name, value.encode()) for name, value in added.items())


class KafkaDeadLetterSink(Protocol):
    """Where the records of a batch that failed every attempt go."""

    def send(self, topic: str, record: EventRecord, headers: Headers) -> None: ...

    def flush(self) -> None: ...  # raises DeadLetterPublishError unless all were taken


class KafkaBatchRunner:
    """Lambda's policy for one function's Kafka batches: invoke, retry, dead-letter."""

    def __init__(
        self,
        invoker: LocalInvoker,
        function: FunctionSpec,
        event: KafkaEvent,
        *,
        dead_letters: KafkaDeadLetterSink,
        retry: KafkaRetryPolicy | None = None,
        dead_letter_topic: Callable[[str], str] = "{}.dlq".format,
        failure_destinations: FailureDestinations | None = None,
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if event.on_failure is not None and failure_destinations is None:
            raise ValueError(f"{event.name} has an OnFailure destination: give its queues")
        self.invoker = invoker
        self.function = function
        self.event = event
        self.dead_letters = dead_letters
        self.retry = retry or KafkaRetryPolicy()
        self.dead_letter_topic = dead_letter_topic
        self.failure_destinations = failure_destinations
        self.stop = stop or threading.Event()
        self._wait = wait or self.stop.wait
        self._wall_clock = wall_clock

    def lambda_event(self, base: dict[str, Any]) -> dict[str, Any]:
        """The SelfManagedKafka event as Lambda shapes it for this event's source type."""
        if self.event.source != "MSK":
            return base
        return {
            "eventSource": "aws:kafka",
            "eventSourceArn": self.event.stream or "",
            "bootstrapServers": base["bootstrapServers"],
            "records": base["records"],
        }

    def deliver(self, event: dict[str, Any], records: Sequence[EventRecord]) -> BatchOutcome:
        """Invoke until success or the last attempt; then the OnFailure destination gets the
        batch's invocation record, or (none declared) the dead-letter topic each record.
        A span `kafka <topic>` child of the first record's `traceparent` header, when it has
        one, is the parent of the invocations."""
        first = records[0] if records else None
        parent = {name: value.decode("ascii", "replace") for name, value in first.headers
                  if name in ("traceparent", "tracestate")} if first else {}  # fmt: skip
        attributes = {"messaging.system": "kafka",
                      "messaging.destination.name": first.topic if first else "",
                      "messaging.batch.message_count": len(records)}  # fmt: skip
        name = f"kafka {first.topic if first else ''}"
        with tracing.span(name, attributes, parent=parent, kind="consumer"):
            return self._deliver_batch(event, records)

    def _deliver_batch(self, event: dict[str, Any], records: Sequence[EventRecord]) -> BatchOutcome:
        failure: KafkaFailure | None = None
        attempts = 0
        for attempt in range(1, max(1, self.retry.max_attempts) + 1):
            if attempt > 1 and (self.stop.is_set() or self._wait(self.retry.backoff(attempts))):
                return BatchOutcome(False, attempts, failure)
            attempts = attempt
            failure = self._invoke(event)
            if failure is None:
                return BatchOutcome(True, attempts)
            if failure.payload_too_large:
                break  # the same event would be refused again
        assert failure is not None
        destination = self.event.on_failure
        if destination is not None:
            assert self.failure_destinations is not None
            invocation = kafka_failure_record(
                function_arn=self.function.arn,
                request_id=failure.request_id,
                attempts=attempts,
                status_code=failure.status_code,
                event=event,
                records=records,
                failed_at_ms=self._wall_clock() * 1000,
                payload_too_large=failure.payload_too_large,
            )
            self.failure_destinations.send(destination, invocation)
            return BatchOutcome(True, attempts, failure, sent_on_failure=1)
        for record in records:
            self.dead_letters.send(
                self.dead_letter_topic(record.topic),
                record,
                dead_letter_headers(record, failure, self.function.function_name, attempts),
            )
        self.dead_letters.flush()
        return BatchOutcome(True, attempts, failure, dead_lettered=len(records))

    def _invoke(self, event: dict[str, Any]) -> KafkaFailure | None:
        try:
            result = self.invoker.invoke(self.function.logical_id, event)
        except InvalidEventError as exc:  # over the 6 MB payload limit: Lambda cannot pass it
            return KafkaFailure(type(exc).__name__, str(exc), status_code=413,
                                payload_too_large=True)  # fmt: skip
        except RuntimePlatformError as exc:  # throttled
            return KafkaFailure(type(exc).__name__, str(exc), status_code=429)
        if result.ok:
            return None
        return KafkaFailure(
            result.error_type or "Unhandled",
            result.error_message or "",
            request_id=result.request_id,
            status_code=result.status_code,
        )


@dataclass
class KafkaWorkerStats:
    batches: int = 0
    records: int = 0
    failed_batches: int = 0
    dead_lettered: int = 0
    sent_on_failure: int = 0

    def count(self, records: int, outcome: BatchOutcome) -> None:
        self.batches += 1
        self.records += records
        self.failed_batches += int(outcome.failure is not None)
        self.dead_lettered += outcome.dead_lettered
        self.sent_on_failure += outcome.sent_on_failure


class KafkaConsumerWorker:
    """One Kafka event of one function on a real broker: poll, deliver, commit or rewind."""

    def __init__(
        self,
        runner: KafkaBatchRunner,
        source: KafkaConsumerSource,
        *,
        batching_window: float | None = None,
        poll_timeout_ms: int = 500,
    ) -> None:
        self.name = f"kafka:{runner.function.logical_id}.{runner.event.name}"
        self.runner = runner
        self.source = source
        self.batch_size = max(1, runner.event.batch_size)
        self.batching_window = (
            runner.event.batching_window_seconds if batching_window is None else batching_window
        )
        self.poll_timeout_ms = poll_timeout_ms
        self.stats = KafkaWorkerStats()

    def open(self) -> None:
        """The consumer joins its group on the first poll, on the worker's thread."""

    def step(self) -> int:
        """Collect one batch, deliver it, commit it when settled; returns its record count."""
        batch = self._collect()
        if batch is None:
            return 0
        try:
            outcome = self.runner.deliver(self.runner.lambda_event(batch.event), batch.records)
        except BaseException:
            self.source.rewind(batch)  # else the next poll would move past it uncommitted
            raise
        self.stats.count(len(batch.records), outcome)
        if outcome.settled:
            self.source.commit(batch)
        else:
            self.source.rewind(batch)
        return len(batch.records)

    def close(self) -> None:
        self.source.close()

    def _collect(self) -> KafkaBatch | None:
        """Poll until BatchSize records came or the window since the first one has passed."""
        deadline = 0.0
        records: list[EventRecord] = []
        offsets: dict[tuple[str, int], tuple[int, int]] = {}
        timeout = self.poll_timeout_ms
        while len(records) < self.batch_size:
            self.source.max_records = self.batch_size - len(records)
            polled = self.source.poll(timeout_ms=timeout)
            if polled is not None:
                if not records:
                    deadline = time.monotonic() + self.batching_window
                records.extend(polled.records)
                for where, (first, after) in polled.offsets.items():
                    offsets[where] = (offsets.get(where, (first, 0))[0], after)
            remaining = deadline - time.monotonic()
            if not records or remaining <= 0 or self.runner.stop.is_set():
                break
            timeout = max(1, min(self.poll_timeout_ms, int(remaining * 1000)))
        if not records:
            return None
        event = lambda_kafka_event(records, bootstrap_servers=self.source.bootstrap_servers)
        return KafkaBatch(event=event, records=tuple(records), offsets=offsets)


@dataclass
class EmbeddedOffsets:
    """Committed offsets of embedded consumer groups: `(group, topic, partition) -> next`."""

    _committed: dict[tuple[str, str, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def committed(self, group: str, topic: str, partition: int = 0) -> int | None:
        with self._lock:
            return self._committed.get((group, topic, partition))

    def commit(self, group: str, topic: str, partition: int, next_offset: int) -> None:
        with self._lock:
            self._committed[(group, topic, partition)] = next_offset


class EmbeddedKafkaWorker:
    """One Kafka event of one function on the in-process bus: batches of up to BatchSize
    records, gathered for at most the batching window after the first one."""

    def __init__(
        self,
        runner: KafkaBatchRunner,
        bus: InMemoryEventBus,
        *,
        group_id: str,
        offsets: EmbeddedOffsets,
        poll_timeout: float = 0.2,
        batching_window: float | None = None,
    ) -> None:
        self.name = f"kafka:{runner.function.logical_id}.{runner.event.name}"
        self.runner = runner
        self.bus = bus
        self.group_id = group_id
        self.offsets = offsets
        self.poll_timeout = poll_timeout
        self.batch_size = max(1, runner.event.batch_size)
        self.batching_window = (
            runner.event.batching_window_seconds if batching_window is None else batching_window
        )
        self.stats = KafkaWorkerStats()
        # Ordered by offset, so a replayed backlog comes before what arrives meanwhile.
        # A wake-up (stopping) is (-1, n, None): first in the queue, ending the wait for a record.
        self._queue: queue.PriorityQueue[tuple[int, int, EventRecord | None]] = (
            queue.PriorityQueue()
        )
        self._arrivals = 0
        self._arrivals_lock = threading.Lock()
        self._position: dict[str, int] = {}
        self._unsubscribers: list[Callable[[], None]] = []

    def open(self) -> None:
        """Subscribe, then queue the recorded records the group has not committed."""
        for topic in self.runner.event.topics:
            self._unsubscribers.append(self.bus.subscribe(topic, self._arrive))
            backlog = self.bus.records(topic)
            committed = self.offsets.committed(self.group_id, topic)
            if committed is None:
                latest = self.runner.event.starting_position == "LATEST"
                committed = backlog[-1].offset + 1 if latest and backlog else 0
            self._position[topic] = committed
            for record in backlog:
                if record.offset >= committed:
                    self._arrive(record)

    def step(self) -> int:
        """Gather one batch, deliver it, commit it when settled; returns its record count."""
        return self._deliver(self._collect())

    def _deliver(self, records: list[EventRecord]) -> int:
        if not records:
            return 0
        base = lambda_kafka_event(records, bootstrap_servers=self.bus.bootstrap_servers)
        try:
            outcome = self.runner.deliver(self.runner.lambda_event(base), records)
        except BaseException:
            self._requeue(records)  # e.g. the failure was not taken: delivered again
            raise
        self.stats.count(len(records), outcome)
        if not outcome.settled:
            self._requeue(records)  # retried after the restart, or next if the stop is undone
            return 0
        for record in records:
            self._position[record.topic] = max(self._position.get(record.topic, 0),
                                               record.offset + 1)  # fmt: skip
            self.offsets.commit(self.group_id, record.topic, record.partition,
                                self._position[record.topic])  # fmt: skip
        return len(records)

    def _collect(self, *, wait: bool = True) -> list[EventRecord]:
        """Up to BatchSize new records: wait `poll_timeout` for the first, then at most the
        batching window for the rest (`wait=False`: only what is queued now). Records already
        handled (a replay the subscription also delivered) are skipped."""
        records: dict[tuple[str, int], EventRecord] = {}
        deadline = 0.0
        while len(records) < self.batch_size:
            timeout = self.poll_timeout
            if records and wait:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.runner.stop.is_set():
                    break
                timeout = min(remaining, self.poll_timeout)  # a stop is seen within it
            try:
                _, _, record = (
                    self._queue.get(timeout=timeout) if wait else self._queue.get_nowait()
                )
            except queue.Empty:
                if records and wait:
                    continue
                break
            if record is None:  # woken: the sources are stopping
                if wait:
                    break
                continue
            if record.offset < self._position.get(record.topic, 0):
                continue
            if not records:
                deadline = time.monotonic() + self.batching_window
            records[(record.topic, record.offset)] = record
        return sorted(records.values(), key=lambda r: (r.topic, r.partition, r.offset))

    def wake(self) -> None:
        """End a wait for the next record now (the sources are stopping): a stop waited up to
        `poll_timeout` for each of these threads, at the end of every `coderev review`."""
        with self._arrivals_lock:  # unique: two wake-ups are never compared past it
            self._arrivals += 1
            arrival = self._arrivals
        self._queue.put((-1, arrival, None))

    def _requeue(self, records: Sequence[EventRecord]) -> None:
        for record in records:
            self._arrive(record)

    def close(self) -> None:
        """Stop listening; after a graceful stop, deliver what was already queued (the bus
        keeps it in this process only): each batch once, ending at the first that fails."""
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()
        if not self.runner.stop.is_set():
            return  # closed after a failed start: nothing was delivered, nothing is drained
        while self._deliver(self._collect(wait=False)):
            pass

    def _arrive(self, record: EventRecord) -> None:
        with self._arrivals_lock:
            self._arrivals += 1
            arrival = self._arrivals
        self._queue.put((record.offset, arrival, record))
