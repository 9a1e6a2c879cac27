"""Metrics: what the platform counts, to Prometheus in `coderev serve`, as EMF on AWS.

One function per thing counted (`http_request`, `function_invocation`, `state_transition`,
`execution_ended`, `analysis_ended`, `ai_call`, `db_query`, `cache_lookup`), called where it
happens; each is a no-op until a backend is chosen:
- `use_prometheus()` (what `coderev serve` does): the process's default prometheus-client
  registry, served at the gateway's `GET /metrics` (`exposition()`), with the process
  collectors (CPU, memory, open files) beside coderev's own;
- on AWS Lambda, the analysis and AI metrics are written as CloudWatch Embedded Metric Format
  (Powertools' `single_metric`, namespace coderev, dimensions as labels) — invocations, errors,
  durations and state transitions are CloudWatch's own Lambda and Step Functions metrics
  there;
- elsewhere nothing: a handler imports neither prometheus-client (~120 ms) nor Powertools'
  metrics for this.

`METRICS` is the catalogue (name, kind, labels, help) the dashboards and alert rules are
checked against (tests/unit/telemetry); the names are prometheus-client's exposition names
(a counter `x` is exposed as `x_total`, a histogram as `x_bucket`, `x_sum`, `x_count`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

__all__ = [
    "METRICS",
    "MetricSpec",
    "ai_call",
    "analysis_ended",
    "backend",
    "cache_lookup",
    "execution_ended",
    "exposition",
    "function_invocation",
    "http_request",
    "instrument_engine",
    "queue_depths",
    "state_transition",
    "use_prometheus",
]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str  # without the _total a counter gets when exposed
    kind: str  # counter | histogram | gauge
    labels: tuple[str, ...]
    help: str
    buckets: tuple[float, ...] = ()


_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_LONG_SECONDS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_COUNTS = (0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 5000)

# fmt: off
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("coderev_http_requests", "counter", ("route", "method", "status"),
               "HTTP requests answered by the gateway, by route template and status."),
    MetricSpec("coderev_http_request_duration_seconds", "histogram", ("route", "method"),
               "Time to answer an HTTP request at the gateway.", _SECONDS),
    MetricSpec("coderev_function_invocations", "counter", ("function",),
               "Function invocations (each attempt)."),
    MetricSpec("coderev_function_errors", "counter", ("function", "error_type"),
               "Function invocations that failed, by error type."),
    MetricSpec("coderev_function_cold_starts", "counter", ("function",),
               "Invocations that loaded the function's module first."),
    MetricSpec("coderev_function_duration_seconds", "histogram", ("function",),
               "Function invocation time, cold start included.", _SECONDS),
    MetricSpec("coderev_state_transitions", "counter", ("state_machine", "state", "type"),
               "States entered by state machine executions (Map iterations included)."),
    MetricSpec("coderev_executions", "counter", ("state_machine", "status"),
               "State machine executions ended, by status."),
    MetricSpec("coderev_execution_duration_seconds", "histogram", ("state_machine", "status"),
               "State machine execution time.", _LONG_SECONDS),
    MetricSpec("coderev_queue_depth", "gauge", ("queue",),
               "Messages waiting: notifications to dispatch, dead letters, failure destinations."),
    MetricSpec("coderev_analyses", "counter", ("status",),
               "Analyses ended, SUCCEEDED or FAILED."),
    MetricSpec("coderev_analysis_duration_seconds", "histogram", ("status",),
               "From the upload recorded to the analysis ended.", _LONG_SECONDS),
    MetricSpec("coderev_analysis_findings", "histogram", (),
               "Findings per succeeded analysis.", _COUNTS),
    MetricSpec("coderev_ai_calls", "counter", ("provider", "model", "outcome"),
               "Model calls and routing refusals, by outcome (ok or the error type)."),
    MetricSpec("coderev_ai_tokens", "counter", ("provider", "model", "direction"),
               "Tokens of model calls, input or output."),
    MetricSpec("coderev_ai_cost_usd", "counter", ("provider", "model"),
               "Cost of model calls in US dollars, at the catalog's prices."),
    MetricSpec("coderev_ai_call_duration_seconds", "histogram", ("provider", "model"),
               "Model call time (each attempt).", _SECONDS),
    MetricSpec("coderev_db_query_duration_seconds", "histogram", ("operation",),
               "Database statement time, by its first keyword.", _SECONDS),
    MetricSpec("coderev_db_errors", "counter", ("operation",),
               "Database statements that raised."),
    MetricSpec("coderev_db_connections_in_use", "gauge", (),
               "Database connections checked out of the pool."),
    MetricSpec("coderev_cache_requests", "counter", ("cache", "result"),
               "Cache lookups (the gateway's authorizer policies), hit or miss."),
)
# fmt: on
_BY_NAME = {spec.name: spec for spec in METRICS}

_lock = threading.Lock()
_prometheus: dict[str, Any] = {}  # name -> prometheus-client metric, once use_prometheus ran
_queue_sources: list[Callable[[], Mapping[str, int]]] = []


def backend() -> str:
    """prometheus (use_prometheus ran), emf (on a Lambda sandbox) or none."""
    if _prometheus:
        return "prometheus"
    return "emf" if os.environ.get("AWS_LAMBDA_RUNTIME_API") else "none"


def use_prometheus() -> None:
    """Register coderev's metrics in prometheus-client's default registry (once a process)."""
    with _lock:
        if _prometheus:
            return
        import prometheus_client as prom

        prom.disable_created_metrics()  # type: ignore[no-untyped-call]
        kinds = {"counter": prom.Counter, "histogram": prom.Histogram}
        for spec in METRICS:
            if spec.name == "coderev_queue_depth":
                continue  # read at scrape time by _QueueDepths
            if spec.kind == "gauge":
                _prometheus[spec.name] = prom.Gauge(spec.name, spec.help, spec.labels)
            elif spec.kind == "histogram":
                _prometheus[spec.name] = prom.Histogram(
                    spec.name, spec.help, spec.labels, buckets=spec.buckets
                )
            else:
                _prometheus[spec.name] = kinds[spec.kind](spec.name, spec.help, spec.labels)
        prom.REGISTRY.register(_QueueDepths())


def exposition() -> tuple[bytes, str]:
    """The default registry in Prometheus' text format, and its content type."""
    use_prometheus()
    import prometheus_client as prom

    return prom.generate_latest(prom.REGISTRY), prom.CONTENT_TYPE_LATEST


class _QueueDepths:
    """coderev_queue_depth{queue}: asked of the registered sources at each scrape."""

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        spec = _BY_NAME["coderev_queue_depth"]
        family = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
        with _lock:
            sources = list(_queue_sources)
        for source in sources:
            for queue, depth in sorted(source().items()):
                family.add_metric([queue], depth)
        yield family

    def describe(self) -> list[Any]:
        return []  # no collect at registration: the sources come later


def queue_depths(source: Callable[[], Mapping[str, int]]) -> Callable[[], None]:
    """Report `source()` ({queue: depth}) as coderev_queue_depth; returns the remover."""
    with _lock:
        _queue_sources.append(source)

    def remove() -> None:
        with _lock:
            if source in _queue_sources:
                _queue_sources.remove(source)

    return remove


def _inc(name: str, labels: tuple[str, ...], amount: float = 1.0) -> None:
    metric = _prometheus[name]
    (metric.labels(*labels) if labels else metric).inc(amount)


def _observe(name: str, labels: tuple[str, ...], value: float) -> None:
    metric = _prometheus[name]
    (metric.labels(*labels) if labels else metric).observe(value)


def http_request(route: str, method: str, status: int, seconds: float) -> None:
    if not _prometheus:
        return
    _inc("coderev_http_requests", (route, method, str(status)))
    _observe("coderev_http_request_duration_seconds", (route, method), seconds)


def function_invocation(
    function: str, seconds: float, *, error_type: str | None, cold_start: bool
) -> None:
    if not _prometheus:
        return
    _inc("coderev_function_invocations", (function,))
    if error_type is not None:
        _inc("coderev_function_errors", (function, error_type))
    if cold_start:
        _inc("coderev_function_cold_starts", (function,))
    _observe("coderev_function_duration_seconds", (function,), seconds)


def state_transition(state_machine: str, state: str, state_type: str) -> None:
    if _prometheus:
        _inc("coderev_state_transitions", (state_machine, state, state_type))


def execution_ended(state_machine: str, status: str, seconds: float) -> None:
    if not _prometheus:
        return
    _inc("coderev_executions", (state_machine, status))
    _observe("coderev_execution_duration_seconds", (state_machine, status), seconds)


def analysis_ended(status: str, seconds: float, findings: int | None = None) -> None:
    """An analysis SUCCEEDED (with its findings) or FAILED, `seconds` after its upload."""
    chosen = backend()
    if chosen == "prometheus":
        _inc("coderev_analyses", (status,))
        _observe("coderev_analysis_duration_seconds", (status,), seconds)
        if findings is not None:
            _observe("coderev_analysis_findings", (), findings)
    elif chosen == "emf":
        _emf("AnalysisDuration", "Seconds", seconds, {"status": status})
        if findings is not None:
            _emf("FindingsPerAnalysis", "Count", findings, {})


def ai_call(
    provider: str, model: str, outcome: str, *, input_tokens: int, output_tokens: int,
    cost_usd: float, seconds: float | None,
) -> None:  # fmt: skip
    """One attempt of Router.call (`seconds` None: refused before any call was made)."""
    chosen = backend()
    if chosen == "prometheus":
        _inc("coderev_ai_calls", (provider, model, outcome))
        if input_tokens:
            _inc("coderev_ai_tokens", (provider, model, "input"), input_tokens)
        if output_tokens:
            _inc("coderev_ai_tokens", (provider, model, "output"), output_tokens)
        if cost_usd:
            _inc("coderev_ai_cost_usd", (provider, model), cost_usd)
        if seconds is not None:
            _observe("coderev_ai_call_duration_seconds", (provider, model), seconds)
    elif chosen == "emf":
        dimensions = {"provider": provider, "model": model}
        _emf("AICalls", "Count", 1, {**dimensions, "outcome": outcome})
        _emf("AITokens", "Count", input_tokens + output_tokens, dimensions)
        _emf("AICostUSD", "None", cost_usd, dimensions)


def cache_lookup(cache: str, hit: bool) -> None:
    if _prometheus:
        _inc("coderev_cache_requests", (cache, "hit" if hit else "miss"))


def instrument_engine(engine: Engine) -> None:
    """Time `engine`'s statements and count its checked-out connections (Prometheus only)."""
    if not _prometheus:
        return
    from sqlalchemy import event

    def before(conn: Any, _cursor: Any, _statement: str, *_args: Any) -> None:
        conn.info.setdefault("coderev_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        started = conn.info.get("coderev_started") or [time.perf_counter()]
        elapsed = time.perf_counter() - started.pop()
        _observe("coderev_db_query_duration_seconds", (_operation(statement),), elapsed)

    def failed(context: Any) -> None:
        statement = getattr(context, "statement", None) or ""
        _inc("coderev_db_errors", (_operation(statement),))
        conn = getattr(context, "connection", None)
        if conn is not None and conn.info.get("coderev_started"):
            conn.info["coderev_started"].pop()

    in_use = _prometheus["coderev_db_connections_in_use"]
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
    event.listen(engine.pool, "checkout", lambda *_: in_use.inc())
    event.listen(engine.pool, "checkin", lambda *_: in_use.dec())


def _operation(statement: str) -> str:
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    known = ("SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "PRAGMA", "WITH")
    return word.lower() if word in known else "other"


def _emf(name: str, unit: str, value: float, dimensions: Mapping[str, str]) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit(unit), value=value,
                       namespace="coderev") as metric:  # fmt: skip
        for key, label in dimensions.items():
            metric.add_dimension(name=key, value=label)
