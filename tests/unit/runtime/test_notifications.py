"""Object-store notifications on the embedded store: the S3 event record exactly, prefix and
suffix filters, removals, asynchronous retries then the dead-letter queue, draining on close."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model
from tests.unit.runtime.conftest import TEMPLATES, received

from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.ports import ObjectInfo
from coderev.runtime.event_sources import EventSourceBackends, EventSourceConfigError, EventSources
from coderev.runtime.event_sources.s3_notifications import (
    EmbeddedNotificationWorker,
    NotificationDispatcher,
    NotifyingObjectStore,
    s3_event_record,
    s3_object_key,
)
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import load_template


def invoker_for(template: str, sink: Path) -> LocalInvoker:
    return LocalInvoker(
        load_template(TEMPLATES / template, parameter_overrides={"SinkDir": str(sink)}),
        delay_scale=0.001,
    )


@pytest.fixture
def store(tmp_path):
    return NotifyingObjectStore(LocalObjectStore(tmp_path / "bucket"), bucket="coderev-local")


@pytest.fixture
def sink(tmp_path):
    return tmp_path / "sink"


def test_a_put_under_the_prefix_invokes_the_function_with_the_s3_object_created_event(store, sink):
    with invoker_for("event_sources.yaml", sink) as invoker:
        function = invoker.function("IngestFunction").function_name
        backends = EventSourceBackends(event_bus=_no_kafka(), object_store=store)
        with EventSources(invoker, backends):
            info = store.put("uploads/my archive+1.zip", b"PK\x03\x04")
            [event] = received(sink, function, 1)
    [record] = event["Records"]
    assert set(record) == {
        "eventVersion",
        "eventSource",
        "awsRegion",
        "eventTime",
        "eventName",
        "userIdentity",
        "requestParameters",
        "responseElements",
        "s3",
    }
    assert (
        record["eventVersion"],
        record["eventSource"],
        record["awsRegion"],
        record["eventName"],
    ) == ("2.1", "aws:s3", "us-east-1", "ObjectCreated:Put")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["configurationId"] == "IngestFunctionUpload"
    assert record["s3"]["bucket"] == {
        "name": "coderev-local",
        "ownerIdentity": {"principalId": "LOCAL"},
        "arn": "arn:aws:s3:::coderev-local",
    }
    obj = record["s3"]["object"]
    assert obj["key"] == "uploads/my+archive%2B1.zip"  # URL-encoded as S3 does, "/" kept
    assert (obj["size"], obj["eTag"]) == (4, hashlib.md5(b"PK\x03\x04").hexdigest())
    assert obj["versionId"] == info.version_id
    assert re.fullmatch(r"[0-9A-F]{20}", obj["sequencer"])
    parsed = S3Model.model_validate(event)
    assert parsed.Records[0].s3.object.key == "uploads/my+archive%2B1.zip"


def test_puts_outside_the_prefix_or_suffix_invoke_nothing(tmp_path, sink):
    store = NotifyingObjectStore(LocalObjectStore(tmp_path / "bucket"), bucket="reports")
    with invoker_for("event_sources_more.yaml", sink) as invoker:
        function = invoker.function("ReportsFunction").function_name
        backends = EventSourceBackends(event_bus=_no_kafka(), object_store=store)
        with EventSources(invoker, backends):
            store.put("reports/a.html", b"<p>")  # wrong suffix
            store.put("elsewhere/a.json", b"{}")  # wrong prefix
            store.put("reports/a.json", b"{}")
            events = received(sink, function, 1)
            time.sleep(0.2)  # one worker, FIFO: the two before were already passed over
            events = received(sink, function, 1)
    assert [event["Records"][0]["s3"]["object"]["key"] for event in events] == ["reports/a.json"]


def test_a_removal_fires_object_removed_events_only(tmp_path, sink):
    store = NotifyingObjectStore(LocalObjectStore(tmp_path / "bucket"), bucket="reports")
    with invoker_for("event_sources_more.yaml", sink) as invoker:
        function = invoker.function("ReportsFunction").function_name
        dispatcher = NotificationDispatcher.for_template(invoker)
        worker = EmbeddedNotificationWorker(store, dispatcher)
        worker.open()
        store.put("notes.txt", b"x")  # no ObjectCreated target for it
        store.delete("notes.txt")
        store.delete("never-there.txt")  # nothing deleted, nothing notified
        worker.close()  # drains the queue
        for invocation in dispatcher.invocations:
            invocation.result(10)
        [event] = received(sink, function, 1)
    [record] = event["Records"]
    assert record["eventName"] == "ObjectRemoved:Delete"
    assert record["s3"]["configurationId"] == "ReportsFunctionRemoved"
    assert set(record["s3"]["object"]) == {"key", "sequencer"}


def test_a_failing_handler_is_retried_then_dead_lettered_like_s3_to_lambda(tmp_path, sink):
    store = NotifyingObjectStore(LocalObjectStore(tmp_path / "bucket"), bucket="reports")
    with invoker_for("event_sources_more.yaml", sink) as invoker:
        backends = EventSourceBackends(event_bus=_no_kafka(), object_store=store)
        with EventSources(invoker, backends):
            store.put("broken/x.bin", b"1")
            queue = invoker.dead_letters("BrokenUploadFunction")
            assert queue.wait_for(1, timeout=10)
        [letter] = queue.messages()
        attempts = received(sink, invoker.function("BrokenUploadFunction").function_name, 2)
    assert (letter.attempts, letter.error_type) == (2, "PoisonRecordError")  # 1 + 1 retry
    assert letter.event == attempts[0] == attempts[1]
    assert letter.event["Records"][0]["s3"]["object"]["key"] == "broken/x.bin"


def test_uploads_stored_before_the_stop_are_still_notified(store, sink):
    with invoker_for("event_sources.yaml", sink) as invoker:
        dispatcher = NotificationDispatcher.for_template(invoker)
        worker = EmbeddedNotificationWorker(store, dispatcher)
        worker.open()
        for number in range(3):
            store.put(f"uploads/{number}.zip", b"z")
        worker.close()
        store.put("uploads/after.zip", b"z")  # after close: not listened to
        assert len(dispatcher.invocations) == 3
        assert all(invocation.result(10).ok for invocation in dispatcher.invocations)


def test_s3_events_without_an_object_store_are_a_configuration_error(sink):
    with (
        invoker_for("event_sources.yaml", sink) as invoker,
        pytest.raises(EventSourceConfigError, match="IngestFunction"),
    ):
        EventSources(invoker, EventSourceBackends(event_bus=_no_kafka()))


def test_the_record_of_an_unversioned_object_has_no_version_id():
    record = s3_event_record(
        bucket="b",
        info=ObjectInfo("a b/c=d.zip", 3, "e"),
        region="eu-west-3",
        configuration_id="cfg",
    )
    assert record["awsRegion"] == "eu-west-3"
    assert record["s3"]["configurationId"] == "cfg"
    assert "versionId" not in record["s3"]["object"]
    assert record["s3"]["object"]["key"] == s3_object_key("a b/c=d.zip") == "a+b/c%3Dd.zip"


def _no_kafka():
    from coderev.adapters.embedded.event_bus import InMemoryEventBus

    return InMemoryEventBus()


def test_a_failed_start_leaves_no_subscription_behind(tmp_path, sink):
    class UnreachableStore(NotifyingObjectStore):
        def add_listener(self, listener):
            raise OSError("store unreachable")

    bus = _no_kafka()
    store = UnreachableStore(LocalObjectStore(tmp_path / "bucket"), bucket="b")
    with invoker_for("event_sources.yaml", sink) as invoker:
        running = EventSources(invoker, EventSourceBackends(event_bus=bus, object_store=store))
        with pytest.raises(OSError, match="unreachable"):
            running.start()
        # The Kafka worker opened before the store failed was closed again: unsubscribed.
        assert bus._subscribers["coderev.audit.recorded"] == []


def test_a_wake_ends_the_wait_for_a_notification_and_loses_none(store, sink):
    with invoker_for("event_sources.yaml", sink) as invoker:
        dispatcher = NotificationDispatcher.for_template(invoker)
        worker = EmbeddedNotificationWorker(store, dispatcher, poll_timeout=3600.0)
        worker.open()
        waiting = threading.Thread(target=worker.step)
        waiting.start()
        worker.wake()
        waiting.join(60)
        assert not waiting.is_alive()
        worker.wake()
        store.put("uploads/late.zip", b"z")
        assert worker.pending() == 1  # the wake-up is not a record
        worker.close()
        assert len(dispatcher.invocations) == 1
        assert dispatcher.invocations[0].result(10).ok
