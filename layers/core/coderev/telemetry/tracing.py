"""Traces: OpenTelemetry spans, on only when something will receive them.

Off by default: nothing is imported (the SDK costs ~100 ms of import, the OTLP exporter ~180 ms,
a handler's whole cold start budget) and `span` yields None. On when, read from the environment
on first use (or `configure`d by a test with its own exporter):
- `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: OTLP over
  HTTP/protobuf, batched (the collector's port 4318);
- `OTEL_TRACES_EXPORTER=console`: each span printed as JSON on stdout when it ends.
`OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` keep it off; `OTEL_SERVICE_NAME` names
the service (default coderev). The provider is this module's, not the global one, so a test can
swap exporters; context propagation is OpenTelemetry's (contextvars).

Carrying a trace across what contextvars do not cross:
- threads: `carry(fn)` runs fn under the caller's context (thread pools, worker threads);
- messages: `carrier()` is the W3C `traceparent` (and `tracestate`) of the current span, put
  in a state machine's execution input under `TRACE_KEY` and in Kafka record headers;
  `span(..., parent=carrier)` continues it; `event_carrier(event)` finds it in a Lambda event
  (API Gateway headers, Kafka record headers, an execution input).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

__all__ = [
    "TRACE_KEY",
    "carrier",
    "carry",
    "configure",
    "current_ids",
    "enabled",
    "event_carrier",
    "flush",
    "set_attributes",
    "span",
]

TRACE_KEY = "trace"  # the execution input's field holding the W3C trace context
_HEADERS = ("traceparent", "tracestate")
_lock = threading.Lock()
_configured = False
_tracer: Tracer | None = None
_provider: TracerProvider | None = None


def configure(
    exporter: SpanExporter | None = None, *, environ: Mapping[str, str] | None = None
) -> bool:
    """Set tracing up (again): spans to `exporter` when given (each as it ends), else as the
    environment says (module docstring). True when tracing is on."""
    global _configured, _tracer, _provider
    with _lock:
        if _provider is not None:
            _provider.shutdown()  # flushes what the previous exporter still holds
        _tracer = _provider = None
        env = os.environ if environ is None else environ
        processor = _processor(exporter, env)
        if processor is not None:
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider

            name = env.get("OTEL_SERVICE_NAME") or "coderev"
            _provider = TracerProvider(resource=Resource.create({"service.name": name}))
            _provider.add_span_processor(processor)
            _tracer = _provider.get_tracer("coderev")
            from coderev.telemetry.logs import add_trace_ids_to_log_records

            add_trace_ids_to_log_records()
        _configured = True
        return _tracer is not None


def _processor(exporter: SpanExporter | None, env: Mapping[str, str]) -> Any:
    if exporter is not None:
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor

        return SimpleSpanProcessor(exporter)
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    chosen = {n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")}
    if "none" in chosen:
        return None
    if "console" in chosen:
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        return SimpleSpanProcessor(ConsoleSpanExporter(service_name="coderev"))
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        return BatchSpanProcessor(OTLPSpanExporter())  # reads the OTEL_EXPORTER_OTLP_* variables
    return None


def _active() -> Tracer | None:
    if not _configured:
        configure()
    return _tracer


def enabled() -> bool:
    """True when spans go somewhere (see the module docstring)."""
    return _active() is not None


def flush(timeout_ms: int = 5000) -> None:
    """Export what is batched now: a Lambda sandbox may be frozen right after the handler."""
    if _provider is not None:
        _provider.force_flush(timeout_ms)


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, Any] | None = None,
    *,
    parent: Mapping[str, str] | None = None,
    kind: str = "internal",
) -> Iterator[Span | None]:
    """A span around the block, child of the current span, or of `parent` (a carrier) when
    one is given. An exception escaping the block is recorded and marks the span an error.
    Yields None when tracing is off."""
    tracer = _active()
    if tracer is None:
        yield None
        return
    from opentelemetry.trace import SpanKind

    context = _extract(parent) if parent else None
    values = {k: v for k, v in (attributes or {}).items() if v is not None}
    with tracer.start_as_current_span(
        name, context=context, kind=SpanKind[kind.upper()], attributes=values
    ) as current:
        yield current


def set_attributes(attributes: Mapping[str, Any]) -> None:
    """Add attributes to the current span (nothing when tracing is off or none is current)."""
    if _active() is None:
        return
    from opentelemetry import trace

    current = trace.get_current_span()
    for key, value in attributes.items():
        if value is not None:
            current.set_attribute(key, value)


def recording() -> bool:
    """True when a span of this trace is current here (so a handler need not open its own)."""
    if _active() is None:
        return False
    from opentelemetry import trace

    return trace.get_current_span().get_span_context().is_valid


def carrier() -> dict[str, str]:
    """The current span's W3C trace context (`traceparent`, maybe `tracestate`); {} when
    tracing is off or no span is current."""
    if _active() is None:
        return {}
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    found: dict[str, str] = {}
    TraceContextTextMapPropagator().inject(found)
    return found


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, None when there is none."""
    if _tracer is None:
        return None
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def carry[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` run under the caller's trace context, on whatever thread calls it; `fn` itself
    when tracing is off."""
    if _active() is None:
        return fn
    from opentelemetry import context as otel_context

    captured = otel_context.get_current()

    def carried(*args: P.args, **kwargs: P.kwargs) -> R:
        token = otel_context.attach(captured)
        try:
            return fn(*args, **kwargs)
        finally:
            otel_context.detach(token)

    return carried


def event_carrier(event: Any) -> dict[str, str]:
    """The trace context a Lambda event carries: an execution input's `TRACE_KEY`, API
    Gateway's `traceparent` header, or the first Kafka record's headers; {} when none."""
    if not isinstance(event, Mapping):
        return {}
    own = event.get(TRACE_KEY)
    if isinstance(own, Mapping) and isinstance(own.get("traceparent"), str):
        return {k: str(own[k]) for k in _HEADERS if isinstance(own.get(k), str)}
    headers = event.get("headers")
    if isinstance(headers, Mapping):
        lowered = {str(k).lower(): v for k, v in headers.items()}
        return {k: str(lowered[k]) for k in _HEADERS if isinstance(lowered.get(k), str)}
    records = event.get("records")
    if isinstance(records, Mapping):
        for batch in records.values():
            for record in batch if isinstance(batch, list) else ():
                return _kafka_headers(record.get("headers") if isinstance(record, dict) else None)
    return {}


def _kafka_headers(headers: Any) -> dict[str, str]:
    """Lambda's Kafka headers: `[{"name": [byte, ...]}, ...]`."""
    found: dict[str, str] = {}
    for entry in headers if isinstance(headers, list) else ():
        for name, value in entry.items() if isinstance(entry, dict) else ():
            if name.lower() in _HEADERS and isinstance(value, list):
                try:
                    found[name.lower()] = bytes(value).decode("ascii")
                except (ValueError, TypeError):
                    continue
    return found


def _extract(parent: Mapping[str, str]) -> Any:
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract(dict(parent))
