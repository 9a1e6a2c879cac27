"""The runtime's event sources against real servers: Kafka triggers on the Tansu broker
(dead-letter topic after the retries, committed offsets, no re-delivery after a restart; an
SQS on-failure destination on moto_server getting Lambda's invocation record; the real
audit_sink recording domain events once and moving past a malformed record) and S3
notifications through SQS on moto_server (prefix filter, key and eTag of the upload)."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest

from coderev.adapters.embedded.event_bus import EventRecord, InMemoryEventBus
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.adapters.kafka import KafkaConsumerSource, KafkaEventBus
from coderev.adapters.s3 import S3ObjectStore
from coderev.domain.events import cloud_event
from coderev.runtime.event_sources import EventSourceBackends, EventSources
from coderev.runtime.event_sources.kafka_destinations import SqsFailureDestinations
from coderev.runtime.event_sources.kafka_source import KafkaRetryPolicy
from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.platform.assembly import HOST_VARIABLES
from coderev.runtime.template import KafkaEvent, load_template

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:(read|open)_text is deprecated:DeprecationWarning"),
]

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "templates" / "event_sources.yaml"
DESTINATIONS = TEMPLATE.with_name("kafka_destinations.yaml")
ROOT = Path(__file__).resolve().parents[2]
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


def moto_store(s3_endpoint: str, bucket: str) -> S3ObjectStore:
    return S3ObjectStore(bucket, endpoint_url=s3_endpoint, access_key="test", secret_key="test")


def sqs_messages(store: S3ObjectStore, queue: str, enough: Any) -> list[dict[str, Any]]:
    """The JSON bodies taken from `queue` until `enough(bodies)` holds (or WAIT passed)."""
    url = store.sqs_client.create_queue(QueueName=queue)["QueueUrl"]
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT
    while not enough(found) and time.monotonic() < deadline:
        response = store.sqs_client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            found.append(json.loads(message["Body"]))
            store.sqs_client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def records_in(messages: list[dict[str, Any]]) -> int:
    return sum(int(message["KafkaBatchInfo"]["batchSize"]) for message in messages)


def test_a_failing_batch_sends_its_invocation_record_to_an_sqs_destination_on_moto(
    kafka_bootstrap_servers, s3_endpoint, fresh_name, tmp_path
):
    names = {
        "FailingTopic": fresh_name("coderev.failing"),
        "BatchedTopic": fresh_name("coderev.batched"),
        "FailuresQueueName": fresh_name("kafka-failures"),
        "SinkDir": str(tmp_path),
    }
    topic = names["FailingTopic"]
    template = load_template(DESTINATIONS, parameter_overrides=names)
    store = moto_store(s3_endpoint, fresh_name("unused"))
    bus = KafkaEventBus(kafka_bootstrap_servers)
    for number in range(2):
        bus.publish(topic, {"n": number, "payload": "poison"}, key=f"k{number}")
    bus.close()
    with LocalInvoker(template, delay_scale=0.001) as invoker:
        backends = EventSourceBackends(
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            kafka_consumer_config=GROUP_TIMEOUTS,
            kafka_retry=FAST,
            object_store=store,  # S3 on moto: the on-failure queue is moto's SQS
        )
        running = EventSources(invoker, backends)
        assert isinstance(running.failure_destinations, SqsFailureDestinations)
        running.start()
        try:
            messages = sqs_messages(store, names["FailuresQueueName"], lambda m: records_in(m) >= 2)
        finally:
            assert running.stop()
        function = invoker.function("FailingFunction")
        attempts = received(tmp_path, function.function_name, len(messages) * 3)
    assert records_in(messages) == 2, messages
    assert len(attempts) == 3 * len(messages)  # every batch was tried three times
    offsets: set[str] = set()
    for message in messages:
        assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
        assert message["requestContext"]["approximateInvokeCount"] == 3
        assert message["requestContext"]["functionArn"] == function.arn
        assert message["responseContext"]["functionError"] == "Unhandled"
        assert message["version"] == "1.0"
        info = message["KafkaBatchInfo"]
        assert info["eventSourceArn"].startswith("arn:aws:kafka:")  # an MSK trigger
        assert info["bootstrapServers"] == kafka_bootstrap_servers
        for where, span in info["recordsInfo"].items():
            assert where.startswith(f"{topic}-")
            offsets.update(
                {f"{where}@{span['firstRecordOffset']}", f"{where}@{span['lastRecordOffset']}"}
            )
    assert len(offsets) == 2
    group = committed(kafka_bootstrap_servers, "coderev-FailingFunction", topic)
    assert sum(group.values()) == 2  # moved past both once the queue took their records


def test_audit_sink_records_events_once_and_moves_past_a_malformed_record(
    kafka_bootstrap_servers, s3_endpoint, fresh_name, tmp_path, monkeypatch
):
    from coderev import bootstrap

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    bootstrap.reset()
    topic, queue = fresh_name("coderev.audit_sink"), fresh_name("audit-sink-failures")
    full = load_template(ROOT / "template.yaml")
    sink = full.functions["AuditSinkFunction"]
    trigger = sink.events[0]
    assert isinstance(trigger, KafkaEvent) and trigger.on_failure is not None
    assert (trigger.batch_size, trigger.batching_window) == (100, 1)
    moved = dataclasses.replace(  # the real trigger, on topics and a queue of this test's own
        trigger,
        topics=(topic,),
        consumer_group_id=fresh_name("audit-sink"),
        on_failure=dataclasses.replace(
            trigger.on_failure, arn=f"arn:aws:sqs:us-east-1:123456789012:{queue}"
        ),
    )
    template = dataclasses.replace(
        full, functions={"AuditSinkFunction": dataclasses.replace(sink, events=(moved,))}
    )

    def completed(analysis_id: str) -> dict[str, Any]:
        return cloud_event("coderev.analysis.completed", "/coderev/analysis",
                           {"analysis_id": analysis_id, "status": "SUCCEEDED"},
                           subject=analysis_id, id=f"{analysis_id}:completed")  # fmt: skip

    first, second, third = (fresh_name("analysis") for _ in range(3))
    bus = KafkaEventBus(kafka_bootstrap_servers)
    store = moto_store(s3_endpoint, fresh_name("unused"))
    audit = bootstrap.audit_repository()

    def audited() -> list[str]:
        return sorted(entry.event_id for entry in audit.list(limit=1000))

    def wait_for(count: int) -> list[str]:
        deadline = time.monotonic() + WAIT
        while len(audited()) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return audited()

    try:
        bus.publish(topic, completed(first), key=first)
        bus.publish(topic, completed(first), key=first)  # delivered twice: recorded once
        bus.flush()
        with LocalInvoker(template, delay_scale=0.001, host_variables=HOST_VARIABLES) as invoker:
            backends = EventSourceBackends(
                kafka_bootstrap_servers=kafka_bootstrap_servers,
                kafka_consumer_config=GROUP_TIMEOUTS,
                kafka_retry=FAST,
                object_store=store,
            )
            running = EventSources(invoker, backends).start()
            try:
                assert wait_for(1) == [f"{first}:completed"]
                bus.publish(topic, {"hello": "not a CloudEvent"})
                bus.publish(topic, completed(second), key=second)
                bus.flush()
                [message] = sqs_messages(store, queue, lambda m: len(m) >= 1)
                bus.publish(topic, completed(third), key=third)  # the partition is not blocked
                bus.flush()
                recorded = wait_for(3)
            finally:
                assert running.stop()
            function_arn = invoker.function("AuditSinkFunction").arn
    finally:
        bus.close()
    assert recorded == sorted(f"{name}:completed" for name in (first, second, third))
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert message["requestContext"]["functionArn"] == function_arn
    info = message["KafkaBatchInfo"]
    assert info["batchSize"] in (1, 2)  # the malformed record, with `second` if one poll had both
    for where, span in info["recordsInfo"].items():  # keyed records spread over partitions
        assert where.startswith(f"{topic}-")
        assert int(span["firstRecordOffset"]) <= int(span["lastRecordOffset"])
    assert (
        sum(committed(kafka_bootstrap_servers, moved.consumer_group_id or "", topic).values()) == 5
    )
    bootstrap.reset()
