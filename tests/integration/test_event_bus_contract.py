"""One EventBus contract, run on the embedded InMemoryEventBus and on KafkaEventBus against the
Tansu broker; both are read back as the Lambda Kafka event. Then what only Kafka has (consumer
groups, commits after success) and what only the in-memory bus has (subscribers)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import KafkaEvent
from aws_lambda_powertools.utilities.parser.models import KafkaSelfManagedEventModel

from coderev.adapters.embedded.event_bus import (
    EventRecord,
    InMemoryEventBus,
    InvalidTopicError,
    lambda_kafka_event,
)
from coderev.adapters.kafka import EventPublishError, KafkaConsumerSource, KafkaEventBus
from coderev.domain.errors import ConfigError
from coderev.domain.events import InvalidEventError, cloud_event, read_cloud_event
from coderev.ports import EventBus

pytestmark = [
    pytest.mark.integration,
    # kafka-python 3.0 loads its protocol schemas with importlib.resources' legacy API.
    pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning"),
]

# Lowered group timeouts so a fresh group joins and a dead member is noticed within seconds.
GROUP_TIMEOUTS: dict[str, Any] = {
    "max_poll_interval_ms": 6000,
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
}
WAIT = 30.0


@dataclass
class Harness:
    """A bus, and a way to read a topic back as Lambda Kafka events."""

    bus: EventBus
    bootstrap_servers: str
    consume: Callable[[str, int], list[dict[str, Any]]]


def _source(servers: str, topic: str, group: str, **extra: Any) -> KafkaConsumerSource:
    return KafkaConsumerSource(
        topic, group, bootstrap_servers=servers, max_records=50, **GROUP_TIMEOUTS, **extra
    )


def _kafka_consume(servers: str, fresh_name: Callable[[str], str]) -> Callable[..., Any]:
    def consume(topic: str, count: int) -> list[dict[str, Any]]:
        source = _source(servers, topic, fresh_name("contract"))
        events: list[dict[str, Any]] = []
        seen = 0
        deadline = time.monotonic() + WAIT
        try:
            while seen < count and time.monotonic() < deadline:
                batch = source.poll(timeout_ms=500)
                if batch is not None:
                    events.append(batch.event)
                    seen += len(batch.records)
                    source.commit(batch)
        finally:
            source.close()
        assert seen == count, f"read {seen} of {count} records from {topic} within {WAIT:g}s"
        return events

    return consume


@pytest.fixture(params=["memory", "kafka"])
def harness(request: pytest.FixtureRequest, fresh_name: Callable[[str], str]) -> Iterator[Harness]:
    if request.param == "memory":
        memory = InMemoryEventBus()

        def consume(topic: str, count: int) -> list[dict[str, Any]]:
            records = memory.records(topic)
            assert len(records) == count
            return [lambda_kafka_event(records, bootstrap_servers=memory.bootstrap_servers)]

        yield Harness(memory, memory.bootstrap_servers, consume)
        return
    servers: str = request.getfixturevalue("kafka_bootstrap_servers")
    kafka = KafkaEventBus(servers)
    yield Harness(kafka, servers, _kafka_consume(servers, fresh_name))
    kafka.close()


def _records(events: list[dict[str, Any]], topic: str) -> list[dict[str, Any]]:
    """The records of all events, each partition's in offset order; checks the grouping key.

    Auto-created topics have several partitions on Tansu (4), one on the in-memory bus, so
    the contract speaks of order per key (one key, one partition), never across keys."""
    flattened = []
    for event in events:
        for where, records in event["records"].items():
            for record in records:
                assert record["topic"] == topic
                assert where == f"{topic}-{record['partition']}"
                flattened.append(record)
    return flattened


def _decode(record: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    key = base64.b64decode(record["key"]).decode() if "key" in record else None
    return key, json.loads(base64.b64decode(record["value"]))


def test_cloud_events_round_trip_with_keys_in_order(
    harness: Harness, fresh_name: Callable[[str], str]
) -> None:
    topic = fresh_name("coderev.analysis.completed")
    sent = [
        cloud_event("coderev.analysis.completed", "/coderev/test", {"n": n, "text": "é日本😀"})
        for n in range(3)
    ]
    keys = ["analysis-1", "analysis-1", "analysis-2"]
    for event, key in zip(sent, keys, strict=True):
        harness.bus.publish(topic, event, key=key)
    harness.bus.flush()

    events = harness.consume(topic, 3)
    records = _records(events, topic)
    decoded = [_decode(record) for record in records]
    for key in set(keys):
        in_order = [event for event, sent_key in zip(sent, keys, strict=True) if sent_key == key]
        assert [value for got_key, value in decoded if got_key == key] == in_order
    assert sorted(value["id"] for _, value in decoded) == sorted(event["id"] for event in sent)
    assert all(read_cloud_event(value) == value for _, value in decoded)
    partitions = {record["partition"] for record in records}
    for partition in partitions:
        offsets = [record["offset"] for record in records if record["partition"] == partition]
        assert offsets == list(range(len(offsets)))
    for record in records:
        assert record["headers"] == [{"content-type": list(b"application/cloudevents+json")}]
    typed = [record for event in events for record in KafkaEvent(event).records]
    assert sorted((r.decoded_key or b"").decode() for r in typed) == sorted(keys)
    assert all(
        r.decoded_headers == {"content-type": b"application/cloudevents+json"} for r in typed
    )


def test_lambda_kafka_event_shape(harness: Harness, fresh_name: Callable[[str], str]) -> None:
    topic = fresh_name("coderev.review.completed")
    before = int(time.time() * 1000) - 60_000
    harness.bus.publish(topic, {"plain": "json", "list": [1, 2.5, None, True]})
    harness.bus.flush()

    events = harness.consume(topic, 1)
    event = events[0]
    assert set(event) == {"eventSource", "bootstrapServers", "records"}
    assert event["eventSource"] == "SelfManagedKafka"
    assert event["bootstrapServers"] == harness.bootstrap_servers
    (record,) = _records(events, topic)
    assert set(record) == {
        "topic", "partition", "offset", "timestamp", "timestampType", "value", "headers",
    }  # fmt: skip
    assert (record["topic"], record["offset"]) == (topic, 0)
    assert isinstance(record["partition"], int) and record["partition"] >= 0
    assert record["timestampType"] == "CREATE_TIME"
    assert before < record["timestamp"] < int(time.time() * 1000) + 60_000
    assert record["headers"] == []  # not a CloudEvent: no structured-mode header
    assert _decode(record) == (None, {"plain": "json", "list": [1, 2.5, None, True]})
    json.dumps(event)  # plain JSON, as Lambda delivers it
    parsed = KafkaSelfManagedEventModel.model_validate(event)  # as a Powertools handler would
    (model,) = [record for records in parsed.records.values() for record in records]
    assert model.key is None
    assert json.loads(str(model.value)) == {"plain": "json", "list": [1, 2.5, None, True]}
    typed = KafkaEvent(event)
    assert [record.json_value for record in typed.records] == [
        {"plain": "json", "list": [1, 2.5, None, True]}
    ]


def test_bad_topics_and_values_are_refused_before_sending(harness: Harness) -> None:
    for topic in ("", "has space", "slash/topic", "x" * 250, ".."):
        with pytest.raises(InvalidTopicError):
            harness.bus.publish(topic, {"a": 1})
    with pytest.raises(InvalidEventError):
        harness.bus.publish("coderev.a.b", {"when": object()})
    with pytest.raises(InvalidEventError):
        harness.bus.publish("coderev.a.b", {"x": float("inf")})
    harness.bus.flush()


# --- Kafka only: consumer groups and commits -----------------------------------------------------


def _process_until_records(source: KafkaConsumerSource, callback: Callable[..., Any]) -> int:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        handled = source.process(callback, timeout_ms=500)
        if handled:
            return handled
    raise AssertionError(f"no records within {WAIT:g}s")


def _offsets(event: dict[str, Any]) -> list[int]:
    return [record["offset"] for records in event["records"].values() for record in records]


class HandlerFailedError(Exception):
    pass


def _committed(servers: str, group: str, topic: str, partition: int) -> int | None:
    """The group's committed offset, read by a consumer that never joins the group."""
    from kafka import KafkaConsumer, TopicPartition  # type: ignore[import-untyped]

    reader = KafkaConsumer(bootstrap_servers=servers, group_id=group, enable_auto_commit=False)
    try:
        offset: int | None = reader.committed(TopicPartition(topic, partition))
        return offset
    finally:
        reader.close(autocommit=False)


def test_offsets_are_committed_only_after_the_callback_succeeds(
    kafka_bootstrap_servers: str, fresh_name: Callable[[str], str]
) -> None:
    servers, topic, group = kafka_bootstrap_servers, fresh_name("coderev.x.y"), fresh_name("g")
    bus = KafkaEventBus(servers)
    seen: list[list[int]] = []

    partitions: set[int] = set()

    def fail(event: dict[str, Any]) -> None:
        seen.append(_offsets(event))
        raise HandlerFailedError

    def succeed(event: dict[str, Any]) -> None:
        seen.append(_offsets(event))
        partitions.update(r["partition"] for rs in event["records"].values() for r in rs)

    def committed() -> int | None:
        (partition,) = partitions
        return _committed(servers, group, topic, partition)

    for n in range(3):  # one key: one partition, so offsets read as a sequence
        bus.publish(topic, {"n": n}, key="k")
    bus.flush()

    source = _source(servers, topic, group)
    with pytest.raises(HandlerFailedError):
        _process_until_records(source, fail)
    assert _process_until_records(source, succeed) == 3  # the same batch, rewound
    assert seen == [[0, 1, 2], [0, 1, 2]]
    assert committed() == 3
    bus.publish(topic, {"n": 3}, key="k")
    bus.flush()
    assert _process_until_records(source, succeed) == 1
    assert seen[-1] == [3]

    bus.publish(topic, {"n": 4}, key="k")
    bus.flush()
    with pytest.raises(HandlerFailedError):
        _process_until_records(source, fail)
    source.close()  # dies with the failed batch uncommitted
    assert committed() == 4

    successor = _source(servers, topic, group)
    assert _process_until_records(successor, succeed) == 1
    assert seen[-2:] == [[4], [4]]  # the group redelivers from the last commit
    successor.close()
    assert committed() == 5

    last = _source(servers, topic, group)
    try:
        deadline = time.monotonic() + 8  # long enough to join the group and fetch
        while time.monotonic() < deadline:
            assert last.poll(timeout_ms=500) is None, "a committed record came back"
    finally:
        last.close()
        bus.close()


def test_run_hands_every_batch_over_until_stopped(
    kafka_bootstrap_servers: str, fresh_name: Callable[[str], str]
) -> None:
    topic = fresh_name("coderev.x.y")
    bus = KafkaEventBus(kafka_bootstrap_servers)
    for n in range(5):
        bus.publish(topic, {"n": n}, key="one-partition")
    bus.close()
    source = _source(kafka_bootstrap_servers, topic, fresh_name("g"))
    values: list[int] = []
    stop = threading.Event()

    def handle(event: dict[str, Any]) -> None:
        for records in event["records"].values():
            values.extend(_decode(record)[1]["n"] for record in records)
        if len(values) >= 5:
            stop.set()

    timer = threading.Timer(WAIT, stop.set)
    timer.start()
    try:
        assert source.run(handle, stop=stop) == 5
    finally:
        timer.cancel()
        source.close()
    assert values == [0, 1, 2, 3, 4]


def test_unreachable_broker_is_a_publish_error() -> None:
    bus = KafkaEventBus("127.0.0.1:1", max_block_ms=1000, api_version_auto_timeout_ms=1000)
    with pytest.raises(EventPublishError):
        bus.publish("coderev.a.b", {"a": 1})
        bus.flush(timeout=2)


def test_bootstrap_servers_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    with pytest.raises(ConfigError, match="KAFKA_BOOTSTRAP_SERVERS"):
        KafkaEventBus()
    with pytest.raises(ConfigError):
        KafkaConsumerSource("coderev.a.b", "g")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", " h1:9092, h2:9093 ")
    assert KafkaConsumerSource("coderev.a.b", "g").bootstrap_servers == "h1:9092,h2:9093"


def test_importing_the_adapters_imports_no_client_library() -> None:
    code = (
        "import sys, coderev.adapters.kafka, coderev.adapters.s3, "
        "coderev.adapters.embedded.event_bus, coderev.adapters.embedded.object_store\n"
        "loaded = sorted(m for m in ('kafka', 'boto3', 'botocore') if m in sys.modules)\n"
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# --- in-memory only: subscribers and threads ----------------------------------------------------


def test_subscribers_get_each_record_until_they_unsubscribe() -> None:
    bus = InMemoryEventBus()
    got: list[EventRecord] = []
    unsubscribe = bus.subscribe("coderev.a.b", got.append)
    bus.publish("coderev.a.b", {"n": 1}, key="k")
    bus.publish("coderev.other.topic", {"n": 2})
    unsubscribe()
    bus.publish("coderev.a.b", {"n": 3})

    assert [(record.key, record.event) for record in got] == [(b"k", {"n": 1})]
    assert [record.offset for record in bus.records("coderev.a.b")] == [0, 1]
    assert len(bus.recorded) == 3


def test_a_failing_subscriber_surfaces_but_the_event_is_recorded() -> None:
    bus = InMemoryEventBus()

    def broken(record: EventRecord) -> None:
        raise HandlerFailedError(record.topic)

    bus.subscribe("coderev.a.b", broken)
    with pytest.raises(HandlerFailedError):
        bus.publish("coderev.a.b", {"n": 1})
    assert [record.event for record in bus.recorded] == [{"n": 1}]


def test_in_memory_bus_is_thread_safe() -> None:
    bus = InMemoryEventBus()
    delivered: list[int] = []
    bus.subscribe("coderev.a.b", lambda record: delivered.append(record.offset))

    def publish_many(thread: int) -> None:
        for n in range(200):
            bus.publish("coderev.a.b", {"thread": thread, "n": n})

    threads = [threading.Thread(target=publish_many, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    offsets = [record.offset for record in bus.records("coderev.a.b")]
    assert offsets == list(range(1600))
    assert sorted(delivered) == offsets
    for t in range(8):
        mine = [r.event["n"] for r in bus.recorded if r.event["thread"] == t]
        assert mine == list(range(200))  # each publisher's order is kept
