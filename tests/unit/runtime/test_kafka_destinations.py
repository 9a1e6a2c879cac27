"""Kafka triggers' BatchSize, MaximumBatchingWindowInSeconds and DestinationConfig.OnFailure:
how the template is read and checked, how batches are gathered on the embedded bus, and the
invocation record Lambda sends to an SQS on-failure destination once the retries are spent."""

from __future__ import annotations

import json
import re
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.unit.runtime.conftest import TEMPLATES, received, values_of

from coderev.adapters.embedded.event_bus import EventRecord, InMemoryEventBus, lambda_kafka_event
from coderev.runtime.errors import TemplateError
from coderev.runtime.event_sources import (
    EventSourceBackends,
    EventSources,
    InMemoryDeadLetterTopics,
)
from coderev.runtime.event_sources.kafka_destinations import (
    DeadLetterPublishError,
    InMemoryFailureDestinations,
    SqsFailureDestinations,
    kafka_failure_record,
)
from coderev.runtime.event_sources.kafka_source import (
    EmbeddedKafkaWorker,
    EmbeddedOffsets,
    KafkaBatchRunner,
    KafkaRetryPolicy,
)
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template import KafkaEvent, load_template
from coderev.runtime.template.events import OnFailureDestination

DESTINATIONS = TEMPLATES / "kafka_destinations.yaml"
BATCHED, FAILING = "coderev.batched.events", "coderev.failing.events"
FAST = KafkaRetryPolicy(max_attempts=3, initial_backoff=0.01)
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def template(tmp_path):
    return load_template(DESTINATIONS, parameter_overrides={"SinkDir": str(tmp_path)})


@pytest.fixture
def invoker(template):
    with LocalInvoker(template, delay_scale=0.001) as local:
        yield local


# --- reading and checking the template ----------------------------------------------------


def test_the_fixture_declares_batching_and_an_sqs_destination(template):
    [batched] = template.functions["BatchedFunction"].events
    assert isinstance(batched, KafkaEvent)
    assert (batched.batch_size, batched.batching_window) == (4, 1)
    assert batched.batching_window_seconds == 1.0
    assert batched.on_failure is None
    [failing] = template.functions["FailingFunction"].events
    assert failing.batching_window == 0 and failing.batching_window_seconds == 0.0
    queue = template.queues["KafkaFailures"]
    assert failing.on_failure == OnFailureDestination("SQS", queue.arn, "KafkaFailures")
    assert failing.on_failure.name == "coderev-kafka-failures" == queue.name


KAFKA = """
Resources:
  Failures:
    Type: AWS::SQS::Queue
  Alarms:
    Type: AWS::SNS::Topic
  Archive:
    Type: AWS::S3::Bucket
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      Events:
        Stream:
          Type: SelfManagedKafka
          Properties:
            KafkaBootstrapServers: ["127.0.0.1:9092,127.0.0.2:9092"]
            Topics: [coderev.analysis.completed]
{properties}
"""


def kafka_template(tmp_path: Path, properties: str = "") -> Path:
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    body = KAFKA.format(properties=textwrap.indent(textwrap.dedent(properties), " " * 12))
    path = tmp_path / "template.yaml"
    path.write_text(body)
    return path


def kafka_event(tmp_path: Path, properties: str = "") -> KafkaEvent:
    [event] = load_template(kafka_template(tmp_path, properties)).functions["Fn"].events
    assert isinstance(event, KafkaEvent)
    return event


def test_undeclared_properties_take_lambdas_kafka_defaults(tmp_path):
    event = kafka_event(tmp_path)
    assert (event.batch_size, event.batching_window, event.on_failure) == (100, None, None)
    assert event.batching_window_seconds == 0.5  # Lambda's default window for Kafka
    assert event.starting_position == "TRIM_HORIZON"
    assert event.bootstrap_servers == ("127.0.0.1:9092", "127.0.0.2:9092")


@pytest.mark.parametrize(
    ("properties", "prop", "message"),
    [
        ("BatchSize: 0", "BatchSize", "0 is not a whole number from 1 to 10000"),
        ("BatchSize: 10001", "BatchSize", "from 1 to 10000"),
        ("BatchSize: many", "BatchSize", "'many' is not a whole number"),
        ("BatchSize: true", "BatchSize", "True is not a whole number"),
        ("MaximumBatchingWindowInSeconds: -1", "MaximumBatchingWindowInSeconds", "0 to 300"),
        ("MaximumBatchingWindowInSeconds: 301", "MaximumBatchingWindowInSeconds", "0 to 300"),
        ("MaximumBatchingWindowInSeconds: 0.5", "MaximumBatchingWindowInSeconds", "whole"),
        ("StartingPosition: AT_TIMESTAMP", "StartingPosition", "TRIM_HORIZON, LATEST"),
    ],
)
def test_out_of_range_values_are_template_errors_naming_the_property(
    tmp_path, properties, prop, message
):
    with pytest.raises(TemplateError, match=re.escape(message)) as raised:
        kafka_event(tmp_path, properties)
    assert raised.value.resource == "Fn"
    assert raised.value.prop == f"Events.Stream.Properties.{prop}"


def test_bounds_are_inclusive(tmp_path):
    event = kafka_event(tmp_path, "BatchSize: 10000\nMaximumBatchingWindowInSeconds: 300")
    assert (event.batch_size, event.batching_window) == (10000, 300)
    (tmp_path / "b").mkdir()
    event = kafka_event(tmp_path / "b", "BatchSize: 1\nMaximumBatchingWindowInSeconds: 0")
    assert (event.batch_size, event.batching_window) == (1, 0)


def test_an_sqs_destination_by_getatt_or_by_arn(tmp_path):
    by_getatt = kafka_event(
        tmp_path,
        """
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failures.Arn
        """,
    )
    assert by_getatt.on_failure == OnFailureDestination(
        "SQS", "arn:aws:sqs:us-east-1:123456789012:coderev-Failures", "Failures"
    )
    (tmp_path / "arn").mkdir()
    by_arn = kafka_event(
        tmp_path / "arn",
        """
        DestinationConfig:
          OnFailure:
            Destination: arn:aws:sqs:eu-west-1:111122223333:elsewhere
        """,
    )
    assert by_arn.on_failure == OnFailureDestination(
        "SQS", "arn:aws:sqs:eu-west-1:111122223333:elsewhere", None
    )


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("!Ref Alarms", "a SNS on-failure destination is not served locally"),
        ("!GetAtt Archive.Arn", "a S3 on-failure destination is not served locally"),
        ("kafka://failed-audits", "a Kafka on-failure destination is not served locally"),
    ],
)
def test_sns_s3_and_kafka_destinations_are_refused_naming_what_is_served(
    tmp_path, destination, message
):
    properties = f"DestinationConfig:\n  OnFailure:\n    Destination: {destination}\n"
    with pytest.raises(TemplateError, match=message) as raised:
        kafka_event(tmp_path, properties)
    assert "an SQS queue" in str(raised.value)
    assert raised.value.prop == "Events.Stream.Properties.DestinationConfig.OnFailure.Destination"


def test_a_destination_type_that_contradicts_the_arn_or_a_missing_destination(tmp_path):
    mismatch = (
        "DestinationConfig:\n  OnFailure:\n    Type: SNS\n    Destination: !GetAtt Failures.Arn\n"
    )
    with pytest.raises(TemplateError, match="Type 'SNS' does not match"):
        kafka_event(tmp_path, mismatch)
    with pytest.raises(TemplateError, match=r"needs OnFailure\.Destination"):
        kafka_event(tmp_path, "DestinationConfig:\n  OnFailure:\n    Type: SQS\n")


# --- batching --------------------------------------------------------------------------------


def embedded_worker(invoker, bus, logical_id: str, **options: Any) -> EmbeddedKafkaWorker:
    spec = invoker.function(logical_id)
    [event] = spec.events
    runner = KafkaBatchRunner(
        invoker,
        spec,
        event,
        dead_letters=InMemoryDeadLetterTopics(),
        failure_destinations=InMemoryFailureDestinations(),
        retry=FAST,
    )
    return EmbeddedKafkaWorker(
        runner, bus, group_id="g", offsets=EmbeddedOffsets(), poll_timeout=0.05, **options
    )


def opened_worker(
    invoker, logical_id: str, **options: Any
) -> tuple[InMemoryEventBus, EmbeddedKafkaWorker]:
    """An embedded worker for the function's trigger, on a bus of its own, opened."""
    bus = InMemoryEventBus()
    worker = embedded_worker(invoker, bus, logical_id, **options)
    worker.open()
    return bus, worker


def test_the_embedded_worker_takes_the_templates_window(invoker):
    bus = InMemoryEventBus()
    assert embedded_worker(invoker, bus, "BatchedFunction").batching_window == 1.0
    assert embedded_worker(invoker, bus, "FailingFunction").batching_window == 0.0
    assert embedded_worker(invoker, bus, "BatchedFunction", batching_window=0).batching_window == 0


def test_a_batch_is_invoked_when_full_without_waiting_for_the_window(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "BatchedFunction", batching_window=30.0)
    for number in range(6):
        bus.publish(BATCHED, {"n": number})
    started = time.monotonic()
    assert worker.step() == 4  # BatchSize 4: full, so invoked at once
    assert time.monotonic() - started < 5
    [event] = received(tmp_path, invoker.function("BatchedFunction").function_name, 1)
    assert [value["n"] for value in values_of([event])] == [0, 1, 2, 3]
    worker.close()


def test_a_partial_batch_waits_for_the_window_then_is_invoked(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "BatchedFunction", batching_window=0.4)
    bus.publish(BATCHED, {"n": 0})
    bus.publish(BATCHED, {"n": 1})
    started = time.monotonic()
    assert worker.step() == 2
    waited = time.monotonic() - started
    assert 0.35 <= waited < 3, waited  # gathered for the window, then invoked with what came
    assert worker.step() == 0  # nothing new: no invocation
    worker.close()
    events = received(tmp_path, invoker.function("BatchedFunction").function_name, 1)
    assert [values_of([event]) for event in events] == [[{"n": 0}, {"n": 1}]]
    assert worker.offsets.committed("g", BATCHED) == 2


def test_records_arriving_during_the_window_join_the_batch(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "BatchedFunction", batching_window=0.6)
    bus.publish(BATCHED, {"n": 0})
    publisher = threading.Timer(0.2, bus.publish, (BATCHED, {"n": 1}))
    publisher.start()
    assert worker.step() == 2
    publisher.join()
    worker.close()
    [event] = received(tmp_path, invoker.function("BatchedFunction").function_name, 1)
    assert values_of([event]) == [{"n": 0}, {"n": 1}]


def test_a_graceful_stop_delivers_what_was_queued_once(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "BatchedFunction", batching_window=30.0)
    for number in range(5):
        bus.publish(BATCHED, {"n": number})
    worker.runner.stop.set()  # stopped before a step took them: the bus is in-process only
    worker.close()
    events = received(tmp_path, invoker.function("BatchedFunction").function_name, 2)
    assert [len(values_of([event])) for event in events] == [4, 1]  # BatchSize, no waiting
    assert worker.offsets.committed("g", BATCHED) == 5
    bus.publish(BATCHED, {"n": 5})  # after the close: not delivered by this worker
    assert worker.step() == 0


def test_a_failing_batch_at_a_graceful_stop_is_tried_once_and_left_uncommitted(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "FailingFunction")
    bus.publish(FAILING, {"payload": "poison"})
    worker.runner.stop.set()
    worker.close()
    assert len(received(tmp_path, invoker.function("FailingFunction").function_name, 1)) == 1
    time.sleep(0.1)
    assert len(received(tmp_path, invoker.function("FailingFunction").function_name, 0, 0)) == 1
    assert worker.offsets.committed("g", FAILING) is None
    destinations = worker.runner.failure_destinations
    assert isinstance(destinations, InMemoryFailureDestinations)
    assert destinations.queues == {}  # no retries at a stop: not sent to the destination


def test_a_worker_closed_after_a_failed_start_delivers_nothing(invoker, tmp_path):
    bus = InMemoryEventBus()
    bus.publish(BATCHED, {"n": 0})
    worker = embedded_worker(invoker, bus, "BatchedFunction")
    worker.open()  # the backlog is queued
    worker.close()  # not stopped: EventSources.start failed on another worker
    assert received(tmp_path, invoker.function("BatchedFunction").function_name, 0, 0) == []


# --- the on-failure destination --------------------------------------------------------------


def test_a_batch_failing_every_attempt_goes_to_the_sqs_destination_not_the_dlq_topic(
    invoker, tmp_path
):
    bus = InMemoryEventBus()
    offsets = EmbeddedOffsets()
    running = EventSources(
        invoker, EventSourceBackends(event_bus=bus, kafka_retry=FAST, embedded_offsets=offsets)
    )
    destinations = running.failure_destinations
    assert isinstance(destinations, InMemoryFailureDestinations)
    queue = destinations.queue("KafkaFailures")  # declared at start, readable before a failure
    assert queue is destinations.queue("coderev-kafka-failures")
    assert len(queue) == 0
    function = invoker.function("FailingFunction")
    with running:
        bus.publish(FAILING, {"payload": "poison"}, key="k1")
        assert queue.wait_for(1, timeout=10)
        bus.publish(FAILING, {"payload": "fine"})
        attempts = received(tmp_path, function.function_name, 4)
    assert running.stop()
    [message] = queue.messages()
    assert len(attempts) == 4  # three attempts of the poison record, one of the fine one
    [poison] = bus.records(FAILING)[:1]
    context = message["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 3
    assert context["functionArn"] == function.arn
    assert re.fullmatch(r"[0-9a-f-]{36}", context["requestId"])
    assert message["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert message["version"] == "1.0" and STAMP.fullmatch(message["timestamp"])
    info = message["KafkaBatchInfo"]
    assert info["batchSize"] == 1
    assert info["eventSourceArn"] == "arn:aws:kafka:us-east-1:123456789012:cluster/local/1"
    assert info["bootstrapServers"] == "embedded"
    assert info["payloadSize"] == len(json.dumps(attempts[0]).encode())
    assert info["recordsInfo"] == {
        f"{FAILING}-0": {
            "firstRecordOffset": "0",
            "lastRecordOffset": "0",
            "firstRecordTimestamp": info["recordsInfo"][f"{FAILING}-0"]["firstRecordTimestamp"],
            "lastRecordTimestamp": info["recordsInfo"][f"{FAILING}-0"]["lastRecordTimestamp"],
        }
    }
    stamp = info["recordsInfo"][f"{FAILING}-0"]["firstRecordTimestamp"]
    assert STAMP.fullmatch(stamp)
    assert stamp[:19] == time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(poison.timestamp / 1000))
    assert "payload" not in message  # SQS and SNS get the metadata, not the records
    dead_letters = running.dead_letters
    assert isinstance(dead_letters, InMemoryDeadLetterTopics)
    assert dead_letters.records(f"{FAILING}.dlq") == []
    assert offsets.committed("coderev-FailingFunction", FAILING) == 2
    assert queue.receive() == [message] and len(queue) == 0


def test_without_a_destination_the_records_still_go_to_the_dlq_topic(invoker):
    spec = invoker.function("FailingFunction")  # its handler fails on "poison"
    dead_letters = InMemoryDeadLetterTopics()
    destinations = InMemoryFailureDestinations()
    runner = KafkaBatchRunner(
        invoker,
        spec,
        KafkaEvent("Undeclared", source="SelfManagedKafka", topics=("t",)),
        dead_letters=dead_letters,
        failure_destinations=destinations,
        retry=FAST,
    )
    record = EventRecord("t", 0, 5, 1_700_000_000_000, b"k", b'"poison"')
    outcome = runner.deliver(lambda_kafka_event([record], bootstrap_servers="b"), [record])
    assert (outcome.settled, outcome.dead_lettered, outcome.sent_on_failure) == (True, 1, 0)
    [letter] = dead_letters.records("t.dlq")
    assert (letter.key, letter.value) == (b"k", b'"poison"')
    assert destinations.queues == {}


def test_an_event_over_the_payload_limit_is_not_retried_and_says_so(invoker):
    spec = invoker.function("FailingFunction")
    [event] = spec.events
    destinations = InMemoryFailureDestinations()
    runner = KafkaBatchRunner(
        invoker,
        spec,
        event,
        dead_letters=InMemoryDeadLetterTopics(),
        failure_destinations=destinations,
        retry=FAST,
        wall_clock=lambda: 1_700_000_000.5,
    )
    record = EventRecord(FAILING, 1, 9, 1_700_000_000_000, None, b"x" * (5 * 1024 * 1024))
    outcome = runner.deliver(lambda_kafka_event([record], bootstrap_servers="b"), [record])
    assert (outcome.settled, outcome.attempts, outcome.sent_on_failure) == (True, 1, 1)
    assert invoker.stats("FailingFunction").invocations == 0
    [message] = destinations.queue("KafkaFailures").messages()
    assert message["requestContext"]["condition"] == "MaximumPayloadSizeExceeded"
    assert message["responseContext"] is None
    assert message["timestamp"] == "2023-11-14T22:13:20.500Z"
    assert message["KafkaBatchInfo"]["payloadSize"] > 6 * 1024 * 1024


def test_the_invocation_record_of_a_batch_spanning_partitions():
    records = [
        EventRecord("t", 1, 7, 1_700_000_002_000, None, b"{}"),
        EventRecord("t", 0, 3, 1_700_000_000_000, None, b"{}"),
        EventRecord("t", 0, 4, 1_700_000_001_000, None, b"{}"),
    ]
    event = lambda_kafka_event(records, bootstrap_servers="a:9092,b:9092")
    message = kafka_failure_record(
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:audit",
        request_id="",
        attempts=2,
        status_code=429,
        event=event,
        records=records,
        failed_at_ms=1_700_000_003_000,
    )
    assert message["responseContext"] == {"statusCode": 429, "executedVersion": "$LATEST"}
    assert message["requestContext"]["requestId"]  # throttled: no invocation, a fresh id
    info = message["KafkaBatchInfo"]
    assert "eventSourceArn" not in info  # self-managed Kafka has no event source ARN
    assert (info["batchSize"], info["bootstrapServers"]) == (3, "a:9092,b:9092")
    assert info["recordsInfo"] == {
        "t-0": {
            "firstRecordOffset": "3",
            "firstRecordTimestamp": "2023-11-14T22:13:20.000Z",
            "lastRecordOffset": "4",
            "lastRecordTimestamp": "2023-11-14T22:13:21.000Z",
        },
        "t-1": {
            "firstRecordOffset": "7",
            "firstRecordTimestamp": "2023-11-14T22:13:22.000Z",
            "lastRecordOffset": "7",
            "lastRecordTimestamp": "2023-11-14T22:13:22.000Z",
        },
    }


class FakeSqs:
    def __init__(self, *, refuse: bool = False) -> None:
        self.created: list[str] = []
        self.sent: list[tuple[str, str]] = []
        self.refuse = refuse

    def create_queue(self, QueueName: str) -> dict[str, str]:
        self.created.append(QueueName)
        return {"QueueUrl": f"http://sqs.local/123456789012/{QueueName}"}

    def send_message(self, QueueUrl: str, MessageBody: str) -> dict[str, str]:
        if self.refuse:
            raise RuntimeError("endpoint unreachable")
        self.sent.append((QueueUrl, MessageBody))
        return {"MessageId": "1"}


def test_sqs_destinations_create_the_queue_once_and_send_json():
    client = FakeSqs()
    destinations = SqsFailureDestinations(client)  # type: ignore[arg-type]
    destination = OnFailureDestination("SQS", "arn:aws:sqs:us-east-1:123456789012:failures")
    destinations.send(destination, {"version": "1.0"})
    destinations.send(destination, {"version": "1.0", "n": 2})
    assert client.created == ["failures"]
    assert [json.loads(body) for _, body in client.sent] == [
        {"version": "1.0"},
        {"version": "1.0", "n": 2},
    ]
    assert {url for url, _ in client.sent} == {"http://sqs.local/123456789012/failures"}
    with pytest.raises(DeadLetterPublishError, match="did not take the record"):
        SqsFailureDestinations(FakeSqs(refuse=True)).send(destination, {})  # type: ignore[arg-type]


def test_a_destination_refusing_the_record_leaves_the_batch_uncommitted(invoker, tmp_path):
    class Refusing(InMemoryFailureDestinations):
        def send(self, destination: OnFailureDestination, record: Any) -> None:
            raise DeadLetterPublishError("queue down")

    bus = InMemoryEventBus()
    offsets = EmbeddedOffsets()
    running = EventSources(
        invoker,
        EventSourceBackends(
            event_bus=bus,
            kafka_retry=FAST,
            embedded_offsets=offsets,
            failure_destinations=Refusing(),
        ),
        error_pause=0.05,
    )
    with running:
        bus.publish(FAILING, {"payload": "poison"})
        received(tmp_path, invoker.function("FailingFunction").function_name, 3)
        time.sleep(0.2)
    assert offsets.committed("coderev-FailingFunction", FAILING) is None


def test_a_wake_ends_the_wait_for_a_record_and_loses_none(invoker, tmp_path):
    bus, worker = opened_worker(invoker, "BatchedFunction", batching_window=0)
    worker.poll_timeout = 3600.0  # only a wake-up can end this wait
    waiting = threading.Thread(target=worker.step)
    waiting.start()
    worker.wake()
    worker.wake()  # twice (two stops): the queue never compares one wake-up with another
    waiting.join(60)
    assert not waiting.is_alive()
    bus.publish(BATCHED, {"n": 0})  # a record queued behind the second wake-up
    worker.runner.stop.set()
    worker.close()  # drains: the wake-up is skipped, the record delivered
    [event] = received(tmp_path, invoker.function("BatchedFunction").function_name, 1)
    assert [value["n"] for value in values_of([event])] == [0]
