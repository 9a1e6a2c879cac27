"""Object-store notifications: uploads become S3 events for the template's S3-triggered functions.

Every function with an `S3` event in the template is a target. A notification record is the
standard S3 event record (eventVersion 2.1, the object key URL-encoded as S3 does it: spaces
as `+`, `/` kept); each matching target gets `{"Records": [record]}` with its own
`configurationId`, invoked asynchronously (`LocalInvoker.invoke_async`: retries, then the
function's dead-letter target, as S3 -> Lambda on AWS). The event patterns
(`s3:ObjectCreated:*`) and the S3Key prefix/suffix rules are applied here, on both backends.

Two backends:
- embedded: `NotifyingObjectStore` wraps any ObjectStore and, after a put (or delete)
  returned, hands the record to its listeners; `EmbeddedNotificationWorker` queues them and
  a worker thread dispatches them. Closing drains the queue: an upload that was stored is
  never left unnotified. The gateway writes a presigned upload through it, so that upload
  notifies exactly as one by a handler.
- S3: `S3NotificationWorker` points the bucket's notifications at an SQS queue
  (`S3ObjectStore.configure_notifications`) and polls it; a message is deleted only after
  every invocation it causes was accepted, so a crash before that re-delivers it (at least
  once, as S3 -> SQS is). moto's records are brought to S3's shape: keys re-encoded with `/`
  kept, and the `sequencer` and `versionId` S3 sends filled in.

Telemetry: dispatching a record is a span `s3 <eventName>`, the parent of the invocations it
causes. An embedded notification keeps the trace context of the put that caused it (an upload
through the gateway: its HTTP request), so the analysis joins the upload's trace; a record
from SQS starts a trace of its own, as an S3 event does on AWS.
"""

from __future__ import annotations

import copy
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

from coderev.ports import (
    ByteSource,
    ObjectInfo,
    ObjectStore,
    PresignedDownload,
    PresignedUpload,
    StreamingObjectStore,
)
from coderev.runtime.errors import RuntimePlatformError
from coderev.runtime.template.events import S3Event
from coderev.telemetry import tracing

if TYPE_CHECKING:
    from coderev.adapters.embedded.presigned import UploadSigner
    from coderev.adapters.s3 import S3ObjectStore
    from coderev.runtime.invoker import AsyncInvocation, LocalInvoker
    from coderev.runtime.template import Template

__all__ = [
    "EmbeddedNotificationWorker",
    "NotificationDispatcher",
    "NotificationTarget",
    "NotifyingObjectStore",
    "S3NotificationWorker",
    "s3_event_record",
    "s3_object_key",
]

logger = logging.getLogger(__name__)

NotificationListener = Callable[[dict[str, Any]], object]
_SEQUENCE = itertools.count()


def s3_object_key(key: str) -> str:
    """A key as S3 writes it in an event record: URL-encoded, spaces as `+`, `/` kept."""
    return quote_plus(key, safe="/")


def _sequencer() -> str:
    # S3's sequencer orders events of one key: hex, growing; same length for comparison.
    return f"{time.time_ns():016X}{next(_SEQUENCE) % 0x10000:04X}"


def s3_event_record(
    *,
    bucket: str,
    info: ObjectInfo,
    event_name: str = "ObjectCreated:Put",
    region: str = "us-east-1",
    configuration_id: str = "coderev-local",
    event_time: datetime | None = None,
) -> dict[str, Any]:
    """The standard S3 event notification record for `info` in `bucket`."""
    when = (event_time or datetime.now(UTC)).astimezone(UTC)
    obj: dict[str, Any] = {"key": s3_object_key(info.key), "sequencer": _sequencer()}
    if not event_name.startswith("ObjectRemoved"):
        obj = {"key": obj["key"], "size": info.size, "eTag": info.etag, **obj}
    if info.version_id:
        obj["versionId"] = info.version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:LOCAL"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": f"{time.time_ns():016X}", "x-amz-id-2": "local"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "LOCAL"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": obj,
        },
    }


class NotifyingObjectStore:
    """An ObjectStore that tells its listeners about every put and delete, after it returned.

    Listeners run in the writer's thread and must be quick (the worker's is a queue put).
    """

    def __init__(self, store: ObjectStore, *, bucket: str, region: str = "us-east-1") -> None:
        self.store = store
        self.bucket = bucket
        self.region = region
        self._listeners: list[NotificationListener] = []
        self._lock = threading.Lock()

    def add_listener(self, listener: NotificationListener) -> Callable[[], None]:
        """Call `listener(record)` after each later put/delete; returns the remover."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        info = self.store.put(key, data, content_type=content_type, metadata=metadata)
        self._emit(info, "ObjectCreated:Put")
        return info

    def put_stream(
        self,
        key: str,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """The wrapped store's streamed put when it has one (else the body read whole)."""
        if isinstance(self.store, StreamingObjectStore):
            info = self.store.put_stream(key, source, content_type=content_type,
                                         metadata=metadata)  # fmt: skip
        else:
            info = self.store.put(key, source.read(), content_type=content_type,
                                  metadata=metadata)  # fmt: skip
        self._emit(info, "ObjectCreated:Put")
        return info

    def get(self, key: str) -> bytes:
        return self.store.get(key)

    @property
    def local(self) -> bool:
        return bool(getattr(self.store, "local", False))

    @property
    def work_in_memory(self) -> bool:
        """The wrapped store's: work documents held in memory are never put, nor notified."""
        return bool(getattr(self.store, "work_in_memory", False))

    def reopener(self) -> Callable[[], ObjectStore] | None:
        """The wrapped store's: another process writes work files, which notify no one."""
        reopen = getattr(self.store, "reopener", None)
        return reopen() if callable(reopen) else None

    def head(self, key: str) -> ObjectInfo | None:
        return self.store.head(key)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.store.list(prefix)

    def presign_put(
        self, key: str, *, expires_in: int, metadata: Mapping[str, str] | None = None
    ) -> PresignedUpload:
        return self.store.presign_put(key, expires_in=expires_in, metadata=metadata)

    def copy(
        self, source_key: str, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        info = self.store.copy(source_key, key, metadata=metadata)
        self._emit(info, "ObjectCreated:Copy")
        return info

    def presign_get(self, key: str, *, expires_in: int, content_type: str) -> PresignedDownload:
        return self.store.presign_get(key, expires_in=expires_in, content_type=content_type)

    @property
    def upload_signer(self) -> UploadSigner | None:
        """The wrapped store's signer of presigned uploads (None: it presigns none itself)."""
        signer: UploadSigner | None = getattr(self.store, "upload_signer", None)
        return signer

    def delete(self, key: str) -> None:
        existing = self.store.head(key)
        self.store.delete(key)
        if existing is not None:
            self._emit(ObjectInfo(key=key, size=0, etag=""), "ObjectRemoved:Delete")

    def _emit(self, info: ObjectInfo, event_name: str) -> None:
        record = s3_event_record(
            bucket=self.bucket, info=info, event_name=event_name, region=self.region
        )
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(copy.deepcopy(record))


@dataclass(frozen=True)
class NotificationTarget:
    """One function's S3 event: which notifications fire it."""

    function: str
    event: S3Event

    @property
    def configuration_id(self) -> str:
        return f"{self.function}{self.event.name}"

    def matches(self, record: Mapping[str, Any]) -> bool:
        key = unquote_plus(str(record["s3"]["object"]["key"]))
        return self.event.matches(str(record.get("eventName", "")), key)


class NotificationDispatcher:
    """Invokes, asynchronously, every target a notification record matches."""

    def __init__(self, invoker: LocalInvoker, targets: Sequence[NotificationTarget]) -> None:
        self.invoker = invoker
        self.targets = tuple(targets)
        self.invocations: list[AsyncInvocation] = []
        self._lock = threading.Lock()

    @classmethod
    def for_template(
        cls, invoker: LocalInvoker, template: Template | None = None
    ) -> NotificationDispatcher:
        source = template or invoker.template
        return cls(
            invoker,
            [
                NotificationTarget(function.logical_id, event)
                for function, event in source.events_of(S3Event)
            ],
        )

    def dispatch(
        self, record: Mapping[str, Any], parent: Mapping[str, str] | None = None
    ) -> list[AsyncInvocation]:
        """Queue one invocation per matching target; raises if the invoker refuses one.
        `parent`: the trace context of the write that caused the record, if known."""
        accepted: list[AsyncInvocation] = []
        targets = [target for target in self.targets if target.matches(record)]
        if not targets:  # the pipeline's own work files: nothing to trace
            return accepted
        event_name = str(record.get("eventName", ""))
        attributes = {"messaging.system": "aws_s3", "aws.s3.bucket": record["s3"]["bucket"]["name"],
                      "aws.s3.key": unquote_plus(str(record["s3"]["object"]["key"]))}  # fmt: skip
        with tracing.span(f"s3 {event_name}", attributes, parent=parent, kind="consumer"):
            for target in targets:
                own = copy.deepcopy(dict(record))
                own["s3"]["configurationId"] = target.configuration_id
                accepted.append(self.invoker.invoke_async(target.function, {"Records": [own]}))
        with self._lock:
            self.invocations.extend(accepted)
        return accepted


class EmbeddedNotificationWorker:
    """Dispatches a NotifyingObjectStore's records from a queue, on the worker's thread."""

    def __init__(
        self,
        store: NotifyingObjectStore,
        dispatcher: NotificationDispatcher,
        *,
        poll_timeout: float = 0.2,
    ) -> None:
        self.name = f"notifications:{store.bucket}"
        self.store = store
        self.dispatcher = dispatcher
        self.poll_timeout = poll_timeout
        # each record with the trace context of the put that caused it
        self._queue: queue.Queue[tuple[dict[str, Any], dict[str, str]] | None] = queue.Queue()
        self._remove: Callable[[], None] | None = None

    def open(self) -> None:
        if self._remove is None:
            self._remove = self.store.add_listener(self._enqueue)

    def _enqueue(self, record: dict[str, Any]) -> None:
        self._queue.put((record, tracing.carrier()))

    def pending(self) -> int:
        """Records waiting to be dispatched (not the wake-ups, see `wake`)."""
        with self._queue.mutex:
            return sum(1 for item in self._queue.queue if item is not None)

    def wake(self) -> None:
        """End a wait for the next record now (the sources are stopping): a stop waited up to
        `poll_timeout` for this thread, at the end of every `coderev review`."""
        self._queue.put(None)

    def step(self) -> int:
        """Dispatch the next queued record (waiting up to `poll_timeout`); 1 if one was."""
        try:
            item = self._queue.get(timeout=self.poll_timeout)
        except queue.Empty:
            return 0
        if item is None:
            return 0
        self.dispatcher.dispatch(*item)
        return 1

    def close(self) -> None:
        """Stop listening, then dispatch what was already queued."""
        if self._remove is not None:
            self._remove()
            self._remove = None
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self.dispatcher.dispatch(*item)


class S3NotificationWorker:
    """Polls the SQS queue the bucket notifies and dispatches each record it carries."""

    def __init__(
        self,
        store: S3ObjectStore,
        dispatcher: NotificationDispatcher,
        *,
        queue_name: str,
        wait_seconds: int = 1,
    ) -> None:
        self.name = f"notifications:{store.bucket}"
        self.store = store
        self.dispatcher = dispatcher
        self.queue_name = queue_name
        self.wait_seconds = wait_seconds
        self.queue_url: str | None = None

    def open(self) -> None:
        """Point the bucket at the queue: the targets' event patterns, their common filter."""
        targets = self.dispatcher.targets
        events = sorted({pattern for target in targets for pattern in target.event.events})
        prefixes = {target.event.prefix or "" for target in targets}
        suffixes = {target.event.suffix or "" for target in targets}
        # A fresh LocalStack/moto has no bucket yet (on AWS the stack made it: a no-op there).
        self.store.ensure_bucket()
        self.queue_url = self.store.configure_notifications(
            self.queue_name,
            prefix=prefixes.pop() if len(prefixes) == 1 else "",
            suffix=suffixes.pop() if len(suffixes) == 1 else "",
            events=events or ["s3:ObjectCreated:*"],
        )

    def step(self) -> int:
        """One long poll; returns the records dispatched."""
        if self.queue_url is None:
            self.open()
        assert self.queue_url is not None
        dispatched = 0
        for notification in self.store.receive_notifications(
            self.queue_url, wait_seconds=self.wait_seconds
        ):
            try:
                for record in notification.records:
                    self.dispatcher.dispatch(self._as_s3_sends(record))
                    dispatched += 1
            except RuntimePlatformError:
                # Not deleted: SQS makes it visible again after its visibility timeout.
                logger.exception("notification %s not dispatched", notification.message_id)
                continue
            self.store.delete_notification(self.queue_url, notification.receipt_handle)
        return dispatched

    def close(self) -> None:
        """Nothing is held between polls: undeleted messages stay in the queue."""

    def _as_s3_sends(self, record: Mapping[str, Any]) -> dict[str, Any]:
        completed = copy.deepcopy(dict(record))
        obj = completed["s3"]["object"]
        key = unquote_plus(str(obj["key"]))
        obj["key"] = s3_object_key(key)
        obj.setdefault("sequencer", _sequencer())
        if "versionId" not in obj and str(completed.get("eventName", "")).startswith(
            "ObjectCreated"
        ):
            current = self.store.head(key)
            if current is not None and current.version_id and current.etag == obj.get("eTag"):
                obj["versionId"] = current.version_id
        return completed
