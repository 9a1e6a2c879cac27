"""Kafka consumers for the template's SelfManagedKafka and MSK events, as Lambda's ESM runs them.

Each batch is passed to the function synchronously in Lambda's Kafka event shape (records
grouped by `<topic>-<partition>`, key and value base64; MSK events say `aws:kafka` and carry
the cluster ARN). A batch whose invocation fails (the invoker's errorType/errorMessage, a
throttle, an event too large) is retried after a backoff; when every attempt failed, each of
its records is written to the dead-letter topic (`<topic>.dlq` by default) with its key, value
and headers plus `dlq.*` headers naming the error, the original topic/partition/offset and the
function; then the offsets are committed so the consumer moves on.

Retries: Lambda's default for Kafka is to retry until the record expires (effectively for
ever). Locally that would wedge a partition behind one poison record, so the default here is
bounded: `KafkaRetryPolicy()` makes 3 attempts, 0.5 s then 1 s apart (doubling, at most 30 s).

Delivery is at least once. Offsets are committed only after the handler succeeded or the
records are on the dead-letter topic (flushed); a crash before the commit re-delivers the
batch; nothing committed is delivered again. Stopping finishes the in-flight invocation;
a batch that succeeded is committed; a failing batch whose retries the stop cut short is not
committed (it comes again on the next start).

Two backends share that policy (`KafkaBatchRunner`):
- `KafkaConsumerWorker`: a real broker through `KafkaConsumerSource`, group id from the
  event's ConsumerGroupId or `coderev-<LogicalId>`, BatchSize records at most per batch, and
  an optional batching window (MaximumBatchingWindowInSeconds) that keeps polling until the
  batch is full or the window has passed.
- `EmbeddedKafkaWorker`: the in-process `InMemoryEventBus`; its subscription feeds a queue and
  each record is a single-record batch. Committed offsets live in `EmbeddedOffsets`, so a
  restarted worker (same offsets object) resumes after the last commit, replaying from the
  bus's recorded log what was not committed.
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
from coderev.runtime.errors import RuntimePlatformError

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


class DeadLetterPublishError(RuntimePlatformError):
    """The dead-letter topic did not take a failed batch's records: nothing is committed."""


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


@dataclass(frozen=True)
class BatchOutcome:
    """What happened to one batch. `settled`: commit it (handled or dead-lettered)."""

    settled: bool
    attempts: int
    failure: KafkaFailure | None = None
    dead_lettered: int = 0


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
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.invoker = invoker
        self.function = function
        self.event = event
        self.dead_letters = dead_letters
        self.retry = retry or KafkaRetryPolicy()
        self.dead_letter_topic = dead_letter_topic
        self.stop = stop or threading.Event()
        self._wait = wait or self.stop.wait

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
        """Invoke until success or the last attempt; then dead-letter each record."""
        failure: KafkaFailure | None = None
        attempts = 0
        for attempt in range(1, max(1, self.retry.max_attempts) + 1):
            if attempt > 1 and (self.stop.is_set() or self._wait(self.retry.backoff(attempts))):
                return BatchOutcome(False, attempts, failure)
            attempts = attempt
            failure = self._invoke(event)
            if failure is None:
                return BatchOutcome(True, attempts)
        assert failure is not None
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
        except RuntimePlatformError as exc:  # throttled, or an event Lambda would refuse
            return KafkaFailure(type(exc).__name__, str(exc))
        if result.ok:
            return None
        return KafkaFailure(result.error_type or "Unhandled", result.error_message or "")


@dataclass
class KafkaWorkerStats:
    batches: int = 0
    records: int = 0
    failed_batches: int = 0
    dead_lettered: int = 0


class KafkaConsumerWorker:
    """One Kafka event of one function on a real broker: poll, deliver, commit or rewind."""

    def __init__(
        self,
        runner: KafkaBatchRunner,
        source: KafkaConsumerSource,
        *,
        batching_window: float = 0.0,
        poll_timeout_ms: int = 500,
    ) -> None:
        self.name = f"kafka:{runner.function.logical_id}.{runner.event.name}"
        self.runner = runner
        self.source = source
        self.batch_size = max(1, runner.event.batch_size)
        self.batching_window = batching_window
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
        self.stats.batches += 1
        self.stats.records += len(batch.records)
        self.stats.failed_batches += int(outcome.failure is not None)
        self.stats.dead_lettered += outcome.dead_lettered
        if outcome.settled:
            self.source.commit(batch)
        else:
            self.source.rewind(batch)
        return len(batch.records)

    def close(self) -> None:
        self.source.close()

    def _collect(self) -> KafkaBatch | None:
        deadline = time.monotonic() + self.batching_window
        records: list[EventRecord] = []
        offsets: dict[tuple[str, int], tuple[int, int]] = {}
        timeout = self.poll_timeout_ms
        while len(records) < self.batch_size:
            self.source.max_records = self.batch_size - len(records)
            polled = self.source.poll(timeout_ms=timeout)
            if polled is not None:
                records.extend(polled.records)
                for where, (first, after) in polled.offsets.items():
                    offsets[where] = (offsets.get(where, (first, 0))[0], after)
            remaining = deadline - time.monotonic()
            if not records or remaining <= 0 or self.runner.stop.is_set():
                break
            timeout = max(1, int(remaining * 1000))
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
    """One Kafka event of one function on the in-process bus: single-record batches."""

    def __init__(
        self,
        runner: KafkaBatchRunner,
        bus: InMemoryEventBus,
        *,
        group_id: str,
        offsets: EmbeddedOffsets,
        poll_timeout: float = 0.2,
    ) -> None:
        self.name = f"kafka:{runner.function.logical_id}.{runner.event.name}"
        self.runner = runner
        self.bus = bus
        self.group_id = group_id
        self.offsets = offsets
        self.poll_timeout = poll_timeout
        self.stats = KafkaWorkerStats()
        # Ordered by offset, so a replayed backlog comes before what arrives meanwhile.
        self._queue: queue.PriorityQueue[tuple[int, int, EventRecord]] = queue.PriorityQueue()
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
        try:
            _, _, record = self._queue.get(timeout=self.poll_timeout)
        except queue.Empty:
            return 0
        if record.offset < self._position.get(record.topic, 0):
            return 0  # replayed and delivered by the subscription too: already handled
        base = lambda_kafka_event([record], bootstrap_servers=self.bus.bootstrap_servers)
        outcome = self.runner.deliver(self.runner.lambda_event(base), (record,))
        self.stats.batches += 1
        self.stats.records += 1
        self.stats.failed_batches += int(outcome.failure is not None)
        self.stats.dead_lettered += outcome.dead_lettered
        if not outcome.settled:
            self._arrive(record)  # retried after the restart, or next if the stop is undone
            return 0
        self._position[record.topic] = record.offset + 1
        self.offsets.commit(self.group_id, record.topic, record.partition, record.offset + 1)
        return 1

    def close(self) -> None:
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers.clear()

    def _arrive(self, record: EventRecord) -> None:
        with self._arrivals_lock:
            self._arrivals += 1
            arrival = self._arrivals
        self._queue.put((record.offset, arrival, record))
