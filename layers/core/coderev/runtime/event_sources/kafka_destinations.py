"""On-failure destinations of Kafka triggers: the invocation record Lambda sends for a batch
that failed every attempt, and the queues that take it.

A SelfManagedKafka or MSK event with `DestinationConfig: {OnFailure: {Destination: <queue
ARN>}}` gets, once its retries are exhausted, one JSON document per failed batch, in the shape
Lambda documents for SQS and SNS destinations of a Kafka event source mapping (the records
themselves are not in it: `KafkaBatchInfo.recordsInfo` gives, per `<topic>-<partition>`, the
first and last offsets and timestamps to fetch them again):

    {"requestContext": {"requestId", "functionArn", "condition": "RetryAttemptsExhausted",
                        "approximateInvokeCount"},
     "responseContext": {"statusCode", "executedVersion", "functionError"},
     "version": "1.0", "timestamp": "2024-05-01T12:00:00.123Z",
     "KafkaBatchInfo": {"batchSize", "eventSourceArn" (MSK only), "bootstrapServers",
                        "payloadSize", "recordsInfo": {"<topic>-<partition>": {
                            "firstRecordOffset", "lastRecordOffset",
                            "firstRecordTimestamp", "lastRecordTimestamp"}}}}

An event Lambda could not pass at all (larger than the 6 MB payload limit) is recorded with
condition `MaximumPayloadSizeExceeded` and a null `responseContext`.

Two backends, chosen with the object store (`EventSources`):
- `InMemoryFailureDestinations` (embedded): one `FailureQueue` per destination ARN, kept by the
  runtime and readable by ARN, queue name or logical id (`queue(...)`), for tests and
  `coderev serve`.
- `SqsFailureDestinations`: SendMessage to the queue on SQS (moto_server or LocalStack at
  S3_ENDPOINT, or AWS). A fresh moto has no queue: it is created on first use (on AWS the stack
  made it, and CreateQueue of an existing name returns it). A message SQS did not take raises
  `DeadLetterPublishError`, so the batch is not committed and comes again.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from coderev.runtime.errors import RuntimePlatformError
from coderev.runtime.invoker.queues import InProcessQueue
from coderev.runtime.template.events import OnFailureDestination

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from coderev.adapters.embedded.event_bus import EventRecord

__all__ = [
    "DeadLetterPublishError",
    "FailureDestinations",
    "FailureQueue",
    "InMemoryFailureDestinations",
    "SqsFailureDestinations",
    "kafka_failure_record",
]

RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
PAYLOAD_TOO_LARGE = "MaximumPayloadSizeExceeded"


class DeadLetterPublishError(RuntimePlatformError):
    """A dead-letter topic or on-failure destination did not take a failed batch: nothing is
    committed, so the batch comes again."""


def _stamp(epoch_ms: float) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def kafka_failure_record(
    *,
    function_arn: str,
    request_id: str,
    attempts: int,
    status_code: int,
    event: Mapping[str, Any],
    records: Sequence[EventRecord],
    failed_at_ms: float,
    payload_too_large: bool = False,
) -> dict[str, Any]:
    """The invocation record of one failed Kafka batch, as Lambda sends it to SQS or SNS."""
    infos: dict[str, dict[str, str]] = {}
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        where = f"{record.topic}-{record.partition}"
        info = infos.setdefault(where, {
            "firstRecordOffset": str(record.offset),
            "firstRecordTimestamp": _stamp(record.timestamp),
        })  # fmt: skip
        info["lastRecordOffset"] = str(record.offset)
        info["lastRecordTimestamp"] = _stamp(record.timestamp)
    batch: dict[str, Any] = {"batchSize": len(records)}
    if event.get("eventSourceArn"):
        batch["eventSourceArn"] = event["eventSourceArn"]
    batch["bootstrapServers"] = str(event.get("bootstrapServers", ""))
    batch["payloadSize"] = len(json.dumps(event).encode("utf-8"))
    batch["recordsInfo"] = infos
    response: dict[str, Any] | None = {"statusCode": status_code, "executedVersion": "$LATEST"}
    if payload_too_large:
        response = None
    elif status_code == 200:
        assert response is not None
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": request_id or str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": PAYLOAD_TOO_LARGE if payload_too_large else RETRIES_EXHAUSTED,
            "approximateInvokeCount": attempts,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _stamp(failed_at_ms),
        "KafkaBatchInfo": batch,
    }


class FailureDestinations(Protocol):
    """Takes invocation records for on-failure destinations; raises DeadLetterPublishError
    (nothing is committed) when one was not taken."""

    def send(self, destination: OnFailureDestination, record: Mapping[str, Any]) -> None: ...


class FailureQueue(InProcessQueue[dict[str, Any]]):
    """An in-process SQS queue of invocation records (JSON documents), oldest first."""

    def __init__(self, destination: OnFailureDestination) -> None:
        super().__init__()
        self.destination = destination

    @property
    def name(self) -> str:
        return self.destination.name

    def put(self, record: Mapping[str, Any]) -> None:
        """Keep a copy of `record` as SQS would: its JSON document."""
        super().put(json.loads(json.dumps(record)))


class InMemoryFailureDestinations:
    """The embedded on-failure destinations: one FailureQueue per destination ARN."""

    def __init__(self) -> None:
        self._queues: dict[str, FailureQueue] = {}
        self._lock = threading.Lock()

    def send(self, destination: OnFailureDestination, record: Mapping[str, Any]) -> None:
        self._queue_for(destination).put(record)

    def declare(self, destination: OnFailureDestination) -> FailureQueue:
        """Make the destination's queue exist (empty) so it can be inspected before a failure."""
        return self._queue_for(destination)

    def queue(self, reference: str) -> FailureQueue:
        """A queue by ARN, name or the template's logical id; KeyError if none matches."""
        with self._lock:
            for arn, queue in self._queues.items():
                if reference in (arn, queue.name, queue.destination.logical_id):
                    return queue
        raise KeyError(f"no on-failure destination {reference!r}")

    @property
    def queues(self) -> dict[str, FailureQueue]:
        with self._lock:
            return dict(self._queues)

    def _queue_for(self, destination: OnFailureDestination) -> FailureQueue:
        with self._lock:
            if destination.arn not in self._queues:
                self._queues[destination.arn] = FailureQueue(destination)
            return self._queues[destination.arn]


class SqsFailureDestinations:
    """On-failure destinations on SQS (boto3 client, e.g. the S3 object store's)."""

    def __init__(self, client: SQSClient) -> None:
        self.client = client
        self._urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def send(self, destination: OnFailureDestination, record: Mapping[str, Any]) -> None:
        try:
            self.client.send_message(QueueUrl=self.queue_url(destination),
                                     MessageBody=json.dumps(record))  # fmt: skip
        except Exception as exc:  # botocore's ClientError/BotoCoreError, unreachable endpoint
            raise DeadLetterPublishError(
                f"on-failure destination {destination.arn} did not take the record: {exc}"
            ) from exc

    def queue_url(self, destination: OnFailureDestination) -> str:
        with self._lock:
            url = self._urls.get(destination.arn)
        if url is None:
            url = self.client.create_queue(QueueName=destination.name)["QueueUrl"]
            with self._lock:
                self._urls[destination.arn] = url
        return url
