"""Kafka triggers on the embedded bus: Lambda's event shape, commits after success, retries
with backoff, dead-letter records with their headers, restarts that do not re-deliver."""

from __future__ import annotations

import base64
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import KafkaSelfManagedEventModel
from tests.unit.runtime.conftest import TEMPLATES, received, values_of

from coderev.adapters.embedded.event_bus import EventRecord, InMemoryEventBus, lambda_kafka_event
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.adapters.kafka import KafkaConsumerSource
from coderev.domain.events import cloud_event
from coderev.runtime.event_sources import (
    EventSourceBackends,
    EventSources,
    InMemoryDeadLetterTopics,
)
from coderev.runtime.event_sources.kafka_source import (
    DeadLetterPublishError,
    EmbeddedOffsets,
    KafkaBatchRunner,
    KafkaConsumerWorker,
    KafkaRetryPolicy,
)
from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import KafkaEvent, load_template

AUDIT, POISON = "coderev.audit.recorded", "coderev.poison.events"
pytestmark = pytest.mark.filterwarnings(
    "ignore:(read|open)_text is deprecated:DeprecationWarning"
)  # kafka-python 3.0's schemas
FAST = KafkaRetryPolicy(max_attempts=3, initial_backoff=0.01, multiplier=2.0)


def received_records(sink: Path, function: str, count: int, timeout: float = 10.0) -> list[Any]:
    """The events `function` was invoked with, once they hold `count` records in all."""
    deadline = time.monotonic() + timeout
    while True:
        events = received(sink, function, 0, timeout=0)
        if len(values_of(events)) >= count or time.monotonic() > deadline:
            return events
        time.sleep(0.01)


@pytest.fixture
def invoker(tmp_path):
    template = load_template(
        TEMPLATES / "event_sources.yaml", parameter_overrides={"SinkDir": str(tmp_path)}
    )
    with LocalInvoker(template, delay_scale=0.001) as local:
        yield local


@pytest.fixture
def bus():
    return InMemoryEventBus()


def sources(invoker, bus, **backends: Any) -> EventSources:
    store = NotifyingObjectStore(
        LocalObjectStore(invoker.template.base_dir.parent / "unused"), bucket="coderev"
    )
    defaults: dict[str, Any] = {"event_bus": bus, "kafka_retry": FAST, "object_store": store}
    return EventSources(invoker, EventSourceBackends(**{**defaults, **backends}))


def name(invoker, logical_id: str) -> str:
    return str(invoker.function(logical_id).function_name)


def test_a_record_reaches_the_function_in_lambdas_kafka_event_shape(invoker, bus, tmp_path):
    event = cloud_event("coderev.audit.recorded", "/audit", {"who": "ana"})
    with sources(invoker, bus):
        bus.publish(AUDIT, event, key="tenant-1")
        [got] = received(tmp_path, name(invoker, "AuditFunction"), 1)
    [record] = bus.records(AUDIT)
    assert got == {
        "eventSource": "SelfManagedKafka",
        "bootstrapServers": "embedded",
        "records": {
            f"{AUDIT}-0": [
                {
                    "topic": AUDIT,
                    "partition": 0,
                    "offset": 0,
                    "timestamp": record.timestamp,
                    "timestampType": "CREATE_TIME",
                    "key": base64.b64encode(b"tenant-1").decode(),
                    "value": base64.b64encode(record.value).decode(),
                    "headers": [{"content-type": list(b"application/cloudevents+json")}],
                }
            ]
        },
    }
    parsed = KafkaSelfManagedEventModel.model_validate(got)
    assert json.loads(parsed.records[f"{AUDIT}-0"][0].value)["data"] == {"who": "ana"}


def test_handled_records_are_committed_and_not_delivered_again_after_a_restart(
    invoker, bus, tmp_path
):
    offsets = EmbeddedOffsets()
    function = name(invoker, "AuditFunction")
    for number in range(3):
        bus.publish(AUDIT, {"n": number})  # before the start: TRIM_HORIZON replays them
    first = sources(invoker, bus, embedded_offsets=offsets).start()
    first_batches = received_records(tmp_path, function, 3)
    assert len(values_of(first_batches)) == 3
    assert len(first_batches) == 1  # the backlog came within one batching window
    assert first.stop()
    assert offsets.committed("audit-sink", AUDIT) == 3
    bus.publish(AUDIT, {"n": 3})  # while stopped: nothing is lost
    with sources(invoker, bus, embedded_offsets=offsets):
        bus.publish(AUDIT, {"n": 4})
        events = received_records(tmp_path, function, 5)
        time.sleep(0.8)  # longer than the window: a wrong re-delivery would show
        assert len(values_of(received(tmp_path, function, 0, timeout=0))) == 5
    assert [value["n"] for value in values_of(events)] == [0, 1, 2, 3, 4]
    assert offsets.committed("audit-sink", AUDIT) == 5


def test_a_failing_record_is_retried_then_dead_lettered_with_headers_and_committed(
    invoker, bus, tmp_path
):
    function = name(invoker, "PoisonFunction")
    running = sources(invoker, bus)
    dead_letters = running.dead_letters
    assert isinstance(dead_letters, InMemoryDeadLetterTopics)
    with running:
        bus.publish(POISON, {"payload": "poison"}, key="k1")
        assert dead_letters.wait_for(f"{POISON}.dlq", 1, timeout=10)
        bus.publish(POISON, {"payload": "fine"})
        events = received(tmp_path, function, 4)
    assert len(events) == 4  # three attempts of the poison record, one of the good one
    [letter] = dead_letters.records(f"{POISON}.dlq")
    [original, _] = bus.records(POISON)
    assert (letter.key, letter.value) == (b"k1", original.value)
    headers = dict(letter.headers)
    assert headers["dlq.error.type"] == b"PoisonRecordError"
    assert headers["dlq.error.message"] == b"poison at offset 0"
    assert headers["dlq.original.topic"] == POISON.encode()
    assert (headers["dlq.original.partition"], headers["dlq.original.offset"]) == (b"0", b"0")
    assert headers["dlq.function"] == function.encode()
    assert headers["dlq.attempts"] == b"3"
    assert running.backends.embedded_offsets.committed("coderev-PoisonFunction", POISON) == 2


def test_retries_wait_with_exponential_backoff_and_give_up_after_max_attempts(invoker):
    waits: list[float] = []
    dead_letters = InMemoryDeadLetterTopics()
    spec = invoker.function("PoisonFunction")
    [event] = spec.events
    runner = KafkaBatchRunner(
        invoker,
        spec,
        event,
        dead_letters=dead_letters,
        retry=KafkaRetryPolicy(max_attempts=4, initial_backoff=0.5),
        wait=lambda delay: bool(waits.append(delay)),
    )
    record = EventRecord(POISON, 2, 41, 1_700_000_000_000, None, b'"poison"')
    outcome = runner.deliver(lambda_kafka_event([record], bootstrap_servers="b"), [record])
    assert waits == [0.5, 1.0, 2.0]
    assert (outcome.settled, outcome.attempts, outcome.dead_lettered) == (True, 4, 1)
    assert outcome.failure is not None and outcome.failure.error_type == "PoisonRecordError"
    assert KafkaRetryPolicy(initial_backoff=10, max_backoff=15).backoff(3) == 15


def test_a_stop_during_the_backoff_leaves_the_batch_uncommitted_for_the_next_start(
    invoker, bus, tmp_path
):
    offsets = EmbeddedOffsets()
    slow = KafkaRetryPolicy(max_attempts=3, initial_backoff=30.0)
    running = sources(invoker, bus, embedded_offsets=offsets, kafka_retry=slow).start()
    bus.publish(POISON, {"payload": "poison"})
    received(tmp_path, name(invoker, "PoisonFunction"), 1)
    started = time.monotonic()
    assert running.stop(timeout=10)
    assert time.monotonic() - started < 5
    assert offsets.committed("coderev-PoisonFunction", POISON) is None
    assert running.dead_letters.records(f"{POISON}.dlq") == []  # type: ignore[attr-defined]
    again = sources(invoker, bus, embedded_offsets=offsets, kafka_retry=FAST).start()
    try:
        assert again.dead_letters.wait_for(f"{POISON}.dlq", 1, 10)  # type: ignore[attr-defined]
    finally:
        again.stop()
    assert offsets.committed("coderev-PoisonFunction", POISON) == 1


def test_dead_letters_that_were_not_written_are_not_committed(invoker):
    class RefusingSink(InMemoryDeadLetterTopics):
        def flush(self) -> None:
            raise DeadLetterPublishError("broker down")

    spec = invoker.function("PoisonFunction")
    consumer = FakeConsumer([[raw(POISON, 0, 7, b"poison")]])
    source = KafkaConsumerSource(POISON, "g", consumer=consumer, max_records=5)
    runner = KafkaBatchRunner(
        invoker, spec, spec.events[0], dead_letters=RefusingSink(), retry=FAST
    )
    worker = KafkaConsumerWorker(runner, source)
    with pytest.raises(DeadLetterPublishError):
        worker.step()
    assert consumer.commits == []
    assert [(where.topic, where.partition, offset) for where, offset in consumer.seeks] == [
        (POISON, 0, 7)
    ]  # rewound: the next poll returns the batch again


def test_the_batching_window_gathers_polls_up_to_the_batch_size(invoker, tmp_path):
    spec = invoker.function("AuditFunction")
    consumer = FakeConsumer(
        [[raw(AUDIT, 0, n, b"{}") for n in range(4)], [raw(AUDIT, 1, n, b"{}") for n in range(8)]]
    )
    source = KafkaConsumerSource(AUDIT, "g", consumer=consumer)
    runner = KafkaBatchRunner(
        invoker, spec, spec.events[0], dead_letters=InMemoryDeadLetterTopics()
    )
    worker = KafkaConsumerWorker(runner, source, batching_window=5.0)
    assert worker.step() == 10  # BatchSize 10: 4 from the first poll, 6 from the second
    assert consumer.max_records == [10, 6]
    [event] = received(tmp_path, spec.function_name, 1)
    assert {key: len(value) for key, value in event["records"].items()} == {
        f"{AUDIT}-0": 4,
        f"{AUDIT}-1": 6,
    }
    [commit] = consumer.commits
    assert {(tp.topic, tp.partition): meta.offset for tp, meta in commit.items()} == {
        (AUDIT, 0): 4,
        (AUDIT, 1): 6,
    }


def test_msk_events_say_aws_kafka_and_disabled_triggers_get_no_consumer(tmp_path, bus):
    template = load_template(
        TEMPLATES / "event_sources_more.yaml", parameter_overrides={"SinkDir": str(tmp_path)}
    )
    store = NotifyingObjectStore(LocalObjectStore(tmp_path / "bucket"), bucket="reports")
    with LocalInvoker(template) as invoker:
        running = EventSources(invoker, EventSourceBackends(event_bus=bus, object_store=store))
        assert sorted(worker.name for worker in running.workers) == [
            "kafka:ManagedFunction.Managed",
            "notifications:reports",
        ]
        bus.publish("coderev.experiment.created", {"id": 0})  # before a LATEST start: skipped
        with running:
            bus.publish("coderev.experiment.created", {"id": 1})
            [event] = received(tmp_path, invoker.function("ManagedFunction").function_name, 1)
            time.sleep(0.3)
            assert (
                len(received(tmp_path, invoker.function("ManagedFunction").function_name, 1)) == 1
            )
    assert event["eventSource"] == "aws:kafka"
    assert event["eventSourceArn"] == "arn:aws:kafka:us-east-1:123456789012:cluster/local/1"
    [record] = event["records"]["coderev.experiment.created-0"]
    assert (record["offset"], json.loads(base64.b64decode(record["value"]))) == (1, {"id": 1})


# --- a kafka-python consumer double (the KafkaConsumer calls KafkaConsumerSource makes) ------


class FakeConsumer:
    def __init__(self, polls: list[list[Any]]) -> None:
        self.polls = polls
        self.max_records: list[int] = []
        self.commits: list[dict[Any, Any]] = []
        self.seeks: list[tuple[Any, int]] = []
        self.lock = threading.Lock()

    def poll(self, timeout_ms: int, max_records: int) -> dict[Any, list[Any]]:
        from kafka import TopicPartition  # type: ignore[import-untyped]

        self.max_records.append(max_records)
        if not self.polls:
            return {}
        batch = self.polls.pop(0)
        taken, rest = batch[:max_records], batch[max_records:]
        if rest:
            self.polls.insert(0, rest)
        grouped: dict[Any, list[Any]] = {}
        for record in taken:
            grouped.setdefault(TopicPartition(record.topic, record.partition), []).append(record)
        return grouped

    def commit(self, offsets: dict[Any, Any]) -> None:
        self.commits.append(offsets)

    def assignment(self) -> set[Any]:
        from kafka import TopicPartition

        return {TopicPartition(POISON, 0), TopicPartition(AUDIT, 0), TopicPartition(AUDIT, 1)}

    def seek(self, where: Any, offset: int) -> None:
        self.seeks.append((where, offset))

    def close(self, autocommit: bool = False) -> None:
        pass


def raw(topic: str, partition: int, offset: int, value: bytes) -> Any:
    from kafka.consumer.fetcher import ConsumerRecord  # type: ignore[import-untyped]

    return ConsumerRecord(
        topic,
        partition,
        -1,
        offset,
        1_700_000_000_000,
        0,
        None,
        value,
        [],
        None,
        -1,
        len(value),
        -1,
    )


def test_a_throttled_invocation_counts_as_a_failed_attempt(tmp_path):
    template = load_template(
        TEMPLATES / "event_sources_more.yaml", parameter_overrides={"SinkDir": str(tmp_path)}
    )
    dead_letters = InMemoryDeadLetterTopics()
    record = EventRecord(AUDIT, 0, 3, 1_700_000_000_000, None, b"{}")
    with LocalInvoker(template) as invoker:
        spec = invoker.function("ThrottledFunction")
        event = KafkaEvent("Audits", source="SelfManagedKafka", topics=(AUDIT,))
        runner = KafkaBatchRunner(
            invoker,
            spec,
            event,
            dead_letters=dead_letters,
            retry=FAST,
            dead_letter_topic="dead.{}".format,
        )
        outcome = runner.deliver(lambda_kafka_event([record], bootstrap_servers="b"), [record])
        assert invoker.stats("ThrottledFunction").throttles == 3
    assert outcome.failure is not None
    assert outcome.failure.error_type == "FunctionThrottledError"
    [letter] = dead_letters.records(f"dead.{AUDIT}")
    assert dict(letter.headers)["dlq.error.type"] == b"FunctionThrottledError"
