"""The runtime's event sources: Kafka consumers and object-store notification pollers.

`EventSources` reads the template's SelfManagedKafka/MSK and S3 events, builds one worker
per Kafka event (`kafka_source`) and one notification worker for the object store
(`notifications`), and runs each on its own thread. A worker is `open()`ed on the caller's
thread (subscriptions and the bucket's notification configuration are in place when `start`
returns), then `step()`s on its thread until `stop`, then is `close()`d on that same thread.

Graceful stop: the stop flag is seen between steps, so the in-flight batch finishes (and
commits) first; a Kafka batch waiting between retries stops waiting and stays uncommitted
(at least once: it comes again on the next start). A worker whose step raises (a broker or
SQS outage) is logged and retried after `error_pause` seconds; it never ends the thread.

Backends (`EventSourceBackends`): an `InMemoryEventBus` for embedded Kafka, else a real
broker (the `kafka_bootstrap_servers` given, else the event's KafkaBootstrapServers, else
`KAFKA_BOOTSTRAP_SERVERS`); a `NotifyingObjectStore` (embedded) or an `S3ObjectStore` for the
S3 events. The template's S3 events name a bucket by logical id; locally every one of them
is served by the one configured bucket (S3_BUCKET), whose name is what handlers see.

Where a Kafka batch goes once its retries are exhausted (see `kafka_source`):
- the event's `DestinationConfig.OnFailure` SQS queue, when declared: Lambda's invocation
  record, into `InMemoryFailureDestinations` (kept here as `failure_destinations`, readable by
  queue ARN, name or logical id) unless the object store is S3 (S3_ENDPOINT: moto_server,
  LocalStack, AWS), then into the queue on that endpoint's SQS (`SqsFailureDestinations`);
- otherwise the dead-letter topic `<topic>.dlq`, chosen with the Kafka backend:
  `InMemoryDeadLetterTopics` beside the embedded bus, `KafkaProducerDeadLetters` (records
  written to the broker) beside a real one.

Batching: each consumer gathers up to the event's BatchSize records for at most its
MaximumBatchingWindowInSeconds (Lambda's 0.5 s when undeclared); `batching_window` in the
backends overrides every event's window (tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from coderev.adapters.embedded.event_bus import EventRecord, InMemoryEventBus
from coderev.adapters.kafka import KafkaConsumerSource
from coderev.runtime.errors import RuntimePlatformError
from coderev.runtime.event_sources.kafka_destinations import (
    FailureDestinations,
    InMemoryFailureDestinations,
    SqsFailureDestinations,
)
from coderev.runtime.event_sources.kafka_source import (
    DeadLetterPublishError,
    EmbeddedKafkaWorker,
    EmbeddedOffsets,
    Headers,
    KafkaBatchRunner,
    KafkaConsumerWorker,
    KafkaDeadLetterSink,
    KafkaRetryPolicy,
)
from coderev.runtime.event_sources.s3_notifications import (
    EmbeddedNotificationWorker,
    NotificationDispatcher,
    NotifyingObjectStore,
    S3NotificationWorker,
)
from coderev.runtime.template.events import KafkaEvent, S3Event

if TYPE_CHECKING:
    from coderev.adapters.s3 import S3ObjectStore
    from coderev.runtime.invoker import LocalInvoker
    from coderev.runtime.template import FunctionSpec, Template

__all__ = [
    "EventSourceBackends",
    "EventSourceConfigError",
    "EventSourceWorker",
    "EventSources",
    "InMemoryDeadLetterTopics",
    "KafkaProducerDeadLetters",
    "consumer_group",
    "consumer_settings",
]

logger = logging.getLogger(__name__)


class EventSourceConfigError(RuntimePlatformError):
    """The template declares an event source that no configured backend can serve."""


class EventSourceWorker(Protocol):
    """One source: `open` on start, `step` until stopped (returns what it handled), `close`."""

    name: str

    def open(self) -> None: ...

    def step(self) -> int: ...

    def close(self) -> None: ...


class InMemoryDeadLetterTopics:
    """Dead-letter topics in this process (the embedded default): records kept per topic."""

    def __init__(self) -> None:
        self._topics: dict[str, list[EventRecord]] = {}
        self._condition = threading.Condition()

    def send(self, topic: str, record: EventRecord, headers: Headers) -> None:
        with self._condition:
            records = self._topics.setdefault(topic, [])
            records.append(
                EventRecord(
                    topic,
                    0,
                    len(records),
                    time.time_ns() // 1_000_000,
                    record.key,
                    record.value,
                    headers,
                )
            )
            self._condition.notify_all()

    def flush(self) -> None:
        """Nothing is buffered."""

    def records(self, topic: str) -> list[EventRecord]:
        with self._condition:
            return list(self._topics.get(topic, ()))

    def topics(self) -> list[str]:
        with self._condition:
            return list(self._topics)

    def wait_for(self, topic: str, count: int, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(
                lambda: len(self._topics.get(topic, ())) >= count, timeout
            )


class KafkaProducerDeadLetters:
    """Dead-letter topics on a Kafka broker; the producer (kafka-python) is built lazily."""

    def __init__(
        self,
        bootstrap_servers: str | Sequence[str] | None = None,
        *,
        producer: Any | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._servers = bootstrap_servers
        self._producer = producer
        self._pending: list[Any] = []
        self._timeout = timeout
        self._lock = threading.Lock()

    def send(self, topic: str, record: EventRecord, headers: Headers) -> None:
        try:
            future = self.producer.send(
                topic, value=record.value, key=record.key, headers=list(headers)
            )
        except Exception as exc:  # kafka-python raises KafkaError subclasses
            raise DeadLetterPublishError(f"cannot write to {topic!r}: {exc}") from exc
        with self._lock:
            self._pending.append(future)

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        try:
            self.producer.flush(timeout=self._timeout)
        except Exception as exc:
            raise DeadLetterPublishError(f"dead letters not flushed: {exc}") from exc
        failed = [future for future in pending if future.failed() or not future.is_done]
        if failed:
            raise DeadLetterPublishError(f"{len(failed)} dead letter(s) not delivered")

    @property
    def producer(self) -> Any:
        if self._producer is None:
            from coderev.adapters.kafka import KafkaEventBus

            self._producer = KafkaEventBus(self._servers, client_id="coderev-dlq").producer
        return self._producer

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=self._timeout)
            self._producer = None


def consumer_group(function: FunctionSpec, event: KafkaEvent) -> str:
    """The template's ConsumerGroupId, else `coderev-<LogicalId>`."""
    return event.consumer_group_id or f"coderev-{function.logical_id}"


def consumer_settings(event: KafkaEvent, extra: Mapping[str, Any]) -> dict[str, Any]:
    """KafkaConsumer settings for an event: StartingPosition as auto_offset_reset."""
    reset = "latest" if event.starting_position == "LATEST" else "earliest"
    return {"auto_offset_reset": reset, **extra}


@dataclass(frozen=True)
class EventSourceBackends:
    """What the event sources run on; unset Kafka means a real broker, unset store is an error
    only when the template has S3 events."""

    event_bus: InMemoryEventBus | None = None
    kafka_bootstrap_servers: str | None = None
    kafka_consumer_config: Mapping[str, Any] = field(default_factory=dict)
    kafka_retry: KafkaRetryPolicy = field(default_factory=KafkaRetryPolicy)
    kafka_dead_letters: KafkaDeadLetterSink | None = None
    dead_letter_topic: Callable[[str], str] = "{}.dlq".format
    failure_destinations: FailureDestinations | None = None
    batching_window: float | None = None
    embedded_offsets: EmbeddedOffsets = field(default_factory=EmbeddedOffsets)
    object_store: NotifyingObjectStore | S3ObjectStore | None = None
    notification_queue: str = "coderev-s3-notifications"


class EventSources:
    """Every Kafka consumer and notification poller the template declares, on threads."""

    def __init__(
        self,
        invoker: LocalInvoker,
        backends: EventSourceBackends | None = None,
        *,
        template: Template | None = None,
        error_pause: float = 1.0,
    ) -> None:
        self.invoker = invoker
        self.template = template or invoker.template
        self.backends = backends or EventSourceBackends()
        self.error_pause = error_pause
        self.stopping = threading.Event()
        self.dead_letters = self.backends.kafka_dead_letters or (
            InMemoryDeadLetterTopics()
            if self.backends.event_bus is not None
            else KafkaProducerDeadLetters(self.backends.kafka_bootstrap_servers)
        )
        self.failure_destinations = self.backends.failure_destinations or (
            self._default_failure_destinations()
        )
        self.workers: tuple[EventSourceWorker, ...] = (
            *self._kafka_workers(),
            *self._notification_workers(),
        )
        self._threads: list[threading.Thread] = []

    def start(self) -> EventSources:
        """Open every worker here, then run each on its own thread."""
        if self._threads:
            return self
        self.stopping.clear()
        opened: list[EventSourceWorker] = []
        try:
            for worker in self.workers:
                worker.open()
                opened.append(worker)
        except BaseException:
            for worker in reversed(opened):  # no subscription outlives a failed start
                worker.close()
            raise
        for worker in self.workers:
            thread = threading.Thread(
                target=self._run, args=(worker,), name=f"coderev-{worker.name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 30.0) -> bool:
        """Finish in-flight batches, commit, close; False if a thread outlived `timeout`."""
        self.stopping.set()
        for worker in self.workers:  # a worker waiting for its next record stops waiting
            wake = getattr(worker, "wake", None)
            if callable(wake):
                wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        alive = any(thread.is_alive() for thread in self._threads)
        self._threads.clear()
        if isinstance(self.dead_letters, KafkaProducerDeadLetters):
            self.dead_letters.close()
        return not alive

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting here: embedded notifications not yet dispatched
        (`notifications:<bucket>`), records in embedded on-failure destinations
        (`onfailure:<name>`) and dead-letter topics (`<topic>.dlq`)."""
        depths = {worker.name: worker.pending() for worker in self.workers
                  if isinstance(worker, EmbeddedNotificationWorker)}  # fmt: skip
        if isinstance(self.failure_destinations, InMemoryFailureDestinations):
            for queue in self.failure_destinations.queues.values():
                depths[f"onfailure:{queue.name}"] = len(queue)
        if isinstance(self.dead_letters, InMemoryDeadLetterTopics):
            for topic in self.dead_letters.topics():
                depths[topic] = len(self.dead_letters.records(topic))
        return depths

    def __enter__(self) -> EventSources:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, worker: EventSourceWorker) -> None:
        try:
            while not self.stopping.is_set():
                try:
                    worker.step()
                except Exception:
                    logger.exception(
                        "event source %s failed; retrying in %gs", worker.name, self.error_pause
                    )
                    self.stopping.wait(self.error_pause)
        finally:
            try:
                worker.close()
            except Exception:
                logger.exception("event source %s did not close cleanly", worker.name)

    def _default_failure_destinations(self) -> FailureDestinations:
        """SQS beside an S3 object store (same endpoint and credentials), else in-process."""
        store = self.backends.object_store
        if store is not None and not isinstance(store, NotifyingObjectStore):
            return SqsFailureDestinations(store.sqs_client)
        return InMemoryFailureDestinations()

    def _kafka_workers(self) -> list[EventSourceWorker]:
        workers: list[EventSourceWorker] = []
        for function, event in self.template.events_of(KafkaEvent):
            if not event.enabled:
                continue
            if event.on_failure is not None and isinstance(
                self.failure_destinations, InMemoryFailureDestinations
            ):
                self.failure_destinations.declare(event.on_failure)
            runner = KafkaBatchRunner(
                self.invoker,
                self.invoker.function(function.logical_id),
                event,
                dead_letters=self.dead_letters,
                retry=self.backends.kafka_retry,
                dead_letter_topic=self.backends.dead_letter_topic,
                failure_destinations=self.failure_destinations,
                stop=self.stopping,
            )
            workers.append(self._kafka_worker(function, event, runner))
        return workers

    def _kafka_worker(
        self, function: FunctionSpec, event: KafkaEvent, runner: KafkaBatchRunner
    ) -> EventSourceWorker:
        group = consumer_group(function, event)
        if self.backends.event_bus is not None:
            return EmbeddedKafkaWorker(
                runner,
                self.backends.event_bus,
                group_id=group,
                offsets=self.backends.embedded_offsets,
                batching_window=self.backends.batching_window,
            )
        servers = self.backends.kafka_bootstrap_servers or ",".join(event.bootstrap_servers)
        source = KafkaConsumerSource(
            list(event.topics),
            group,
            bootstrap_servers=servers or None,
            max_records=event.batch_size,
            **consumer_settings(event, self.backends.kafka_consumer_config),
        )
        return KafkaConsumerWorker(runner, source, batching_window=self.backends.batching_window)

    def _notification_workers(self) -> list[EventSourceWorker]:
        dispatcher = NotificationDispatcher.for_template(self.invoker, self.template)
        if not dispatcher.targets:
            return []
        store = self.backends.object_store
        if store is None:
            functions = sorted({target.function for target in dispatcher.targets})
            raise EventSourceConfigError(
                f"S3 events of {', '.join(functions)} need an object store to notify them"
            )
        if isinstance(store, NotifyingObjectStore):
            return [EmbeddedNotificationWorker(store, dispatcher)]
        return [
            S3NotificationWorker(store, dispatcher, queue_name=self.backends.notification_queue)
        ]

    @property
    def s3_events(self) -> list[tuple[str, S3Event]]:
        """(function, event) for each S3 event served."""
        return [
            (function.logical_id, event) for function, event in self.template.events_of(S3Event)
        ]
