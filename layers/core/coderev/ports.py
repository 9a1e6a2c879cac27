"""Narrow ports: what the rooms need from the outside world, and nothing more.

Each Protocol is small on purpose (grimp's filesystem port has four methods). Adapters live
in `coderev.adapters`: `embedded/` defaults (our fakes) and one module per real backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

# --- GraphStore -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str  # e.g. "module:shop.orders", "class:shop.orders.Order"
    label: str  # "Module" | "Package" | "Class" | "Function"
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    type: str  # "IMPORTS" | "CONTAINS" | "INHERITS"
    properties: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class GraphStore(Protocol):
    """Stores the code graph of one analysis; replaced whole on each write."""

    def write(
        self, graph_id: str, nodes: Iterable[GraphNode], edges: Iterable[GraphEdge]
    ) -> None: ...

    def nodes(self, graph_id: str, label: str | None = None) -> list[GraphNode]: ...

    def edges(self, graph_id: str, type: str | None = None) -> list[GraphEdge]: ...

    def delete(self, graph_id: str) -> None: ...


# --- ObjectStore ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    version_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PresignedUpload:
    """A URL a client uploads one object to, without credentials, until `expires_at`.

    The client sends `method` to `url` with every header of `headers` exactly as given (they
    are signed, as S3 signs `x-amz-meta-*` headers: a missing or changed one is refused).
    `url` is absolute for S3; the embedded store's is relative to the local gateway serving it.
    """

    url: str
    expires_at: datetime
    headers: Mapping[str, str] = field(default_factory=dict)
    method: str = "PUT"


@dataclass(frozen=True, slots=True)
class PresignedDownload:
    """A URL a client GETs one object from, without credentials, until `expires_at`.

    Absolute for S3; the embedded store's is relative to the local gateway serving it. The
    object is served with `content_type` (signed into the URL, as S3's
    `response-content-type`).
    """

    url: str
    expires_at: datetime
    content_type: str
    size: int


class ObjectStore(Protocol):
    """Blobs by key in one bucket (uploads/, reports/)."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo: ...

    def get(self, key: str) -> bytes: ...  # raises KeyError when absent

    def head(self, key: str) -> ObjectInfo | None: ...

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def delete(self, key: str) -> None: ...

    def presign_put(
        self, key: str, *, expires_in: int, metadata: Mapping[str, str] | None = None
    ) -> PresignedUpload: ...  # a PUT of `key` with `metadata`, valid `expires_in` seconds

    def presign_get(
        self, key: str, *, expires_in: int, content_type: str
    ) -> PresignedDownload: ...  # a GET of `key` served as `content_type`; KeyError if absent

    def copy(
        self, source_key: str, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo: ...  # S3 CopyObject within the bucket (metadata: replaced when given)


class ByteSource(Protocol):
    """Something a body is read from in pieces (a file, a request body stream)."""

    def read(self, size: int = -1, /) -> bytes: ...


@runtime_checkable
class StreamingObjectStore(Protocol):
    """An ObjectStore that can store a body read piece by piece, never whole in memory
    (the embedded store: presigned uploads of up to 1 GiB through the local gateway)."""

    def put_stream(
        self,
        key: str,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo: ...


# --- EventBus -------------------------------------------------------------------------------


class EventBus(Protocol):
    """Publishes domain events (CloudEvents 1.0 JSON) on `coderev.<entity>.<verb>` topics."""

    def publish(self, topic: str, event: Mapping[str, Any], *, key: str | None = None) -> None: ...

    def flush(self, timeout: float = 10.0) -> None: ...


# --- StateMachineStarter --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExecutionDescription:
    """What DescribeExecution says of one execution: its status (RUNNING, SUCCEEDED, FAILED,
    TIMED_OUT, ABORTED, PENDING_REDRIVE) and, once it failed, its error and cause."""

    status: str
    error: str | None = None
    cause: str | None = None

    @property
    def closed(self) -> bool:
        """True once it ended: nothing will run it further (bar a redrive)."""
        return self.status not in ("RUNNING", "PENDING_REDRIVE")


class StateMachineStarter(Protocol):
    """Starts a state machine execution; returns its execution ARN. Same name, same input:
    the same execution (Step Functions' StartExecution is idempotent that way)."""

    def start(self, state_machine: str, name: str, input: Mapping[str, Any]) -> str: ...

    def describe(self, execution_arn: str) -> ExecutionDescription | None:
        """The execution's status, error and cause; None when there is no such execution."""
        ...
