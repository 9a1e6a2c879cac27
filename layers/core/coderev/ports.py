"""Narrow ports: what the rooms need from the outside world, and nothing more.

Each Protocol is small on purpose (grimp's filesystem port has four methods). Adapters live
in `coderev.adapters`: `embedded/` defaults (our fakes) and one module per real backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
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


@dataclass(frozen=True, slots=True)
class GraphScope:
    """What a graph belongs to: its project and the project's version (either may be unknown)."""

    project: str | None = None
    version: str | None = None


@runtime_checkable
class GraphStore(Protocol):
    """Stores the code graph of one analysis; replaced whole on each write.

    `scope` (optional, keyword only) files the graph under its project and version.
    """

    def write(
        self,
        graph_id: str,
        nodes: Iterable[GraphNode],
        edges: Iterable[GraphEdge],
        *,
        scope: GraphScope | None = None,
    ) -> None: ...

    def nodes(self, graph_id: str, label: str | None = None) -> list[GraphNode]: ...

    def edges(self, graph_id: str, type: str | None = None) -> list[GraphEdge]: ...

    def delete(self, graph_id: str) -> None: ...


@runtime_checkable
class GraphQueries(Protocol):
    """A graph store that answers Cypher (Neo4j, FalkorDB); the embedded SQLite store does not."""

    def query(
        self, graph_id: str, cypher: str, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a read-only query, with `$graph` bound to `graph_id`."""
        ...


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


# --- ModelProvider --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """One model call. `json_reply`: ask for a JSON object reply where the API can say so."""

    model: str
    system: str
    messages: tuple[ChatMessage, ...]
    max_output_tokens: int = 2048
    temperature: float = 0.0
    json_reply: bool = True
    stream: bool = False
    timeout_s: float = 60.0


@dataclass(frozen=True, slots=True)
class Completion:
    """A model's whole reply with its usage: what the router prices and the report records."""

    provider: str  # "openai" | "anthropic" | "hf"
    model: str
    text: str
    input_tokens: int
    output_tokens: int
    latency_ms: float
    finish_reason: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class ProbeResult:
    ok: bool
    latency_ms: float
    error: str | None = None  # the error's type and message, never a key


class ModelProvider(Protocol):
    """A chat model behind one provider's API (OpenAI, Anthropic, Hugging Face).

    Raises only `coderev.domain.errors.ProviderError` subclasses. SDK retries are off or
    small: the router owns retries and fallback.
    """

    name: str  # "openai" | "anthropic" | "hf"

    def complete(self, request: CompletionRequest) -> Completion: ...

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        """Input tokens of a request: the provider's count endpoint, an exact local
        tokenizer, or a documented estimate."""
        ...

    def probe(self, model: str) -> ProbeResult:
        """A cheap liveness check (e.g. list models or a 1-token reply); never raises."""
        ...


# --- SecretBox ------------------------------------------------------------------------------


class SecretBox(Protocol):
    """Envelope encryption of small secrets (provider API keys) at rest.

    `seal` returns an opaque blob holding the wrapped data key and the ciphertext;
    `context` is authenticated (AES-GCM associated data / KMS encryption context), so a blob
    moved to another record does not open. `key_id` names the master key that wraps.
    """

    @property
    def key_id(self) -> str:
        """The master key `seal` wraps with now (read-only: a plain attribute satisfies it)."""
        ...

    def seal(self, plaintext: bytes, context: Mapping[str, str]) -> bytes: ...

    def open(self, blob: bytes, context: Mapping[str, str]) -> bytes: ...


# --- QuotaStore -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuotaLimit:
    """At most `limit` of `metric` per `window` for `scope`.

    scope: e.g. "tenant:acme", "provider:openai", "tenant:acme/provider:openai";
    metric: "requests" | "tokens" | "cost_micro_usd"; window: "minute" | "day" | "month".
    """

    scope: str
    metric: str
    window: str
    limit: int


@dataclass(frozen=True, slots=True)
class QuotaDecision:
    allowed: bool
    retry_after_s: float | None = None  # when denied: until the denying window resets
    denied_by: QuotaLimit | None = None
    remaining: Mapping[str, int] = field(default_factory=dict)  # "scope|metric|window" -> left


class QuotaStore(Protocol):
    """Atomic check-and-spend: either every limit has room for `amounts` and all are spent,
    or nothing is spent and the first limit without room is named."""

    def check_and_spend(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],  # metric -> amount, e.g. {"requests": 1, "tokens": 900}
        now: datetime | None = None,
    ) -> QuotaDecision: ...

    def refund(
        self,
        limits: tuple[QuotaLimit, ...],
        amounts: Mapping[str, int],
        now: datetime | None = None,
    ) -> None:
        """Give back what a reservation over-estimated (never below zero)."""
        ...


# --- ProviderCatalog: what the router may choose from ---------------------------------------


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model of one registered provider, with what routing needs to choose and price it."""

    provider: str  # the registry's name for the provider, e.g. "openai" or "corp-gateway"
    kind: str  # which SDK adapter speaks to it: "openai" | "anthropic" | "hf"
    model: str
    tier: str = "standard"  # "economy" | "standard" | "premium"
    context_window: int = 128_000
    max_output_tokens: int = 4096
    input_usd_per_mtok: float = 0.0
    output_usd_per_mtok: float = 0.0
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    provider: str
    ok: bool
    checked_at: datetime
    latency_ms: float | None = None
    error: str | None = None
    consecutive_failures: int = 0


class ProviderCatalog(Protocol):
    """The enabled providers and models (registry, else the SDKs' environment variables),
    their clients with decrypted keys, and their last probed health."""

    def models(self) -> tuple[ModelInfo, ...]: ...

    def provider(self, name: str) -> ModelProvider:
        """The client for provider `name`; raises NotFoundError when none is enabled."""
        ...

    def health(self) -> Mapping[str, ProviderHealth]: ...


class RevocationStore(Protocol):
    """Revoked access tokens, sessions and API keys, remembered until they would have expired
    (Redis when REDIS_URL is set, else a SQLite file; in-process in tests)."""

    def revoke(self, ident: str, until: datetime) -> None: ...

    def any_revoked(self, idents: Sequence[str]) -> bool:
        """True when one of `idents` is revoked (one round trip)."""
        ...


# --- PolicyEngine ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's answer: `allow`, the `reasons` it gives (sorted codes such as
    "granted_by_role:viewer", "no_role_grants:analyses:create", "tenant_mismatch"), and the
    `action` it decided on. An undefined result is a denial ("undefined"), never an error."""

    allow: bool
    reasons: tuple[str, ...] = ()
    action: str = ""


class PolicyEngine(Protocol):
    """Evaluates the Rego document at `path` ("coderev/authz/decision", OPA's
    `/v1/data/<path>`) for `input`. Raises `coderev.policy.errors.PolicyEngineError` when the
    engine cannot answer (a failed compile, an unreachable OPA server): callers fail closed."""

    def decide(self, path: str, input: Mapping[str, Any]) -> Decision: ...
