"""The runtime's event sources against real servers: Kafka triggers on the Tansu broker
(dead-letter topic after the retries, committed offsets, no re-delivery after a restart) and
S3 notifications through SQS on moto_server (prefix filter, key and eTag of the upload)."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from coderev.adapters.embedded.event_bus import EventRecord, InMemoryEventBus
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.adapters.kafka import KafkaConsumerSource, KafkaEventBus
from coderev.adapters.s3 import S3ObjectStore
from coderev.runtime.event_sources import EventSourceBackends, EventSources
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.kafka_source import KafkaRetryPolicy
from coderev.runtime.notifications import NotifyingObjectStore
from coderev.runtime.template import load_template

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning"),
]

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "templates" / "event_sources.yaml"
GROUP_TIMEOUTS: dict[str, Any] = {
    "max_poll_interval_ms": 6000,
    "session_timeout_ms": 6000,
    "heartbeat_interval_ms": 1000,
}
FAST = KafkaRetryPolicy(max_attempts=3, initial_backoff=0.05)
WAIT = 40.0


def received(sink: Path, function: str, count: int, timeout: float = WAIT) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        folder = sink / function
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        if len(files) >= count or time.monotonic() > deadline:
            return [json.loads(path.read_text()) for path in files]
        time.sleep(0.05)


def kafka_values(events: list[Any]) -> list[Any]:
    return [
        json.loads(base64.b64decode(record["value"]))
        for event in events
        for records in event["records"].values()
        for record in records
    ]


def read_topic(servers: str, topic: str, count: int, group: str) -> list[EventRecord]:
    source = KafkaConsumerSource(topic, group, bootstrap_servers=servers, **GROUP_TIMEOUTS)
    found: list[EventRecord] = []
    deadline = time.monotonic() + WAIT
    try:
        while len(found) < count and time.monotonic() < deadline:
            batch = source.poll(timeout_ms=500)
            if batch is not None:
                found.extend(batch.records)
    finally:
        source.close()
    assert len(found) == count, f"{len(found)} of {count} records on {topic} in {WAIT:g}s"
    return found


def committed(servers: str, group: str, topic: str) -> dict[int, int]:
    from kafka import KafkaAdminClient  # type: ignore[import-untyped]

    admin = KafkaAdminClient(bootstrap_servers=servers)
    try:
        offsets = admin.list_group_offsets({group: None})[group]
    finally:
        admin.close()
    return {where.partition: meta.offset for where, meta in offsets.items() if where.topic == topic}


@pytest.fixture
def kafka_run(kafka_bootstrap_servers, fresh_name, tmp_path):
    names = {
        "AuditTopic": fresh_name("coderev.audit"),
        "PoisonTopic": fresh_name("coderev.poison"),
        "AuditGroup": fresh_name("audit-sink"),
        "SinkDir": str(tmp_path),
    }
    template = load_template(TEMPLATE, parameter_overrides=names)
    bus = KafkaEventBus(kafka_bootstrap_servers)
    with LocalInvoker(template, delay_scale=0.001) as invoker:

        def sources() -> EventSources:
            backends = EventSourceBackends(
                kafka_bootstrap_servers=kafka_bootstrap_servers,
                kafka_consumer_config=GROUP_TIMEOUTS,
                kafka_retry=FAST,
                object_store=NotifyingObjectStore(LocalObjectStore(tmp_path / "b"), bucket="b"),
            )
            return EventSources(invoker, backends)

        yield names, bus, invoker, sources
    bus.close()


def test_a_handler_that_always_fails_sends_the_records_to_the_dead_letter_topic(
    kafka_run, kafka_bootstrap_servers, fresh_name, tmp_path
):
    names, bus, invoker, sources = kafka_run
    topic = names["PoisonTopic"]
    for number in range(3):
        bus.publish(topic, {"n": number, "payload": "poison"}, key=f"k{number}")
    bus.flush()
    running = sources().start()
    try:
        letters = read_topic(kafka_bootstrap_servers, f"{topic}.dlq", 3, fresh_name("dlq"))
    finally:
        assert running.stop()
    function = invoker.function("PoisonFunction").function_name
    attempts = received(tmp_path, function, 3)
    delivered = kafka_values(attempts)
    assert sorted(value["n"] for value in delivered) == sorted([0, 1, 2] * 3)  # 3 attempts each
    originals: dict[int, int] = {}
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["dlq.error.type"] == b"PoisonRecordError"
        assert headers["dlq.error.message"].startswith(b"poison at offset ")
        assert headers["dlq.original.topic"] == topic.encode()
        assert headers["dlq.function"] == function.encode()
        assert headers["dlq.attempts"] == b"3"
        value = json.loads(letter.value)
        assert letter.key == f"k{value['n']}".encode()
        partition = int(headers["dlq.original.partition"])
        offset = int(headers["dlq.original.offset"])
        originals[partition] = max(originals.get(partition, -1), offset)
    group_offsets = committed(kafka_bootstrap_servers, "coderev-PoisonFunction", topic)
    assert {p: group_offsets.get(p) for p in originals} == {
        p: last + 1 for p, last in originals.items()
    }  # the main group moved past the dead-lettered records


def test_handled_offsets_are_committed_and_a_restart_does_not_redeliver(
    kafka_run, kafka_bootstrap_servers, tmp_path
):
    names, bus, invoker, sources = kafka_run
    topic, group = names["AuditTopic"], names["AuditGroup"]
    function = invoker.function("AuditFunction").function_name
    for number in range(4):
        bus.publish(topic, {"n": number})
    bus.flush()
    first = sources().start()
    try:
        events = received(tmp_path, function, 1)
        deadline = time.monotonic() + WAIT
        while len(kafka_values(events)) < 4 and time.monotonic() < deadline:
            events = received(tmp_path, function, len(events) + 1, timeout=1)
    finally:
        assert first.stop()
    assert sorted(value["n"] for value in kafka_values(events)) == [0, 1, 2, 3]
    assert sum(committed(kafka_bootstrap_servers, group, topic).values()) == 4
    bus.publish(topic, {"n": 4})
    bus.flush()
    again = sources().start()
    try:
        events = received(tmp_path, function, len(events) + 1)
        time.sleep(3)  # long enough for a wrongly rewound group to deliver again
        events = received(tmp_path, function, 0, timeout=0)
    finally:
        assert again.stop()
    assert sorted(value["n"] for value in kafka_values(events)) == [0, 1, 2, 3, 4]
    assert sum(committed(kafka_bootstrap_servers, group, topic).values()) == 5


def test_an_upload_under_the_prefix_reaches_the_function_as_an_s3_event(
    s3_endpoint, fresh_name, tmp_path
):
    store = S3ObjectStore(
        fresh_name("uploads"), endpoint_url=s3_endpoint, access_key="test", secret_key="test"
    )
    store.ensure_bucket()
    queue_name = fresh_name("notifications")
    template = load_template(TEMPLATE, parameter_overrides={"SinkDir": str(tmp_path)})
    with LocalInvoker(template, delay_scale=0.001) as invoker:
        function = invoker.function("IngestFunction").function_name
        backends = EventSourceBackends(
            event_bus=InMemoryEventBus(), object_store=store, notification_queue=queue_name
        )
        running = EventSources(invoker, backends).start()
        try:
            store.put("elsewhere/skip.zip", b"not for ingest")
            info = store.put("uploads/my archive.zip", b"PK\x03\x04 archive")
            [event] = received(tmp_path, function, 1)
            time.sleep(2)  # a notification for the first put would have come by now
            assert len(received(tmp_path, function, 0, timeout=0)) == 1
        finally:
            assert running.stop()
        worker = running.workers[-1]
        leftover = store.receive_notifications(worker.queue_url, wait_seconds=0)  # type: ignore[attr-defined]
    [record] = event["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == store.bucket
    assert record["s3"]["configurationId"] == "IngestFunctionUpload"
    obj = record["s3"]["object"]
    assert obj["key"] == "uploads/my+archive.zip"
    assert (obj["eTag"], obj["size"]) == (info.etag, info.size)
    assert obj["versionId"] == info.version_id
    assert leftover == []  # deleted once the invocation was accepted
