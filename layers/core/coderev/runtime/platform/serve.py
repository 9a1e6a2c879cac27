"""What `coderev serve` runs: the template's platform, on this process's configuration.

`build_platform` loads the template (a clear `ServeError` when it is missing or declares what
cannot run locally) and chooses the backends the way `bootstrap` does for the handlers, so
handlers and platform share them: the object store (the embedded one wrapped to notify the
S3-triggered functions, or S3 through SQS when S3_ENDPOINT is set), the event bus (the
in-process bus the Kafka triggers consume, or the broker at KAFKA_BOOTSTRAP_SERVERS) and a
SQLite execution store under the data dir, which `coderev executions` reads. The gateway runs
the template's authorizer before every protected route; without JWT_SECRET_KEY on a loopback
address it is in open local mode (token-less requests act as the local admin, announced and
logged at start), and it limits requests per principal (CODEREV_RATE_LIMIT_PER_MINUTE).

In-process, each handler sees its function's template Environment as its Settings (the
invoker binds it per invocation), except for the backend variables (`HOST_VARIABLES`: data
dir, database, Redis, S3, Kafka...), which stay this process's: the template's
`CODEREV_DATA_DIR: /tmp/coderev` and empty `DATABASE_URL` describe a Lambda sandbox, not this
machine.

`serve` prints what is served, then blocks until SIGINT or SIGTERM and stops gracefully (a
second signal interrupts the wait for running executions).
`review_on_platform` is `coderev review`'s default path: one archive through the same chain
(upload -> S3 notification -> ingest -> state machine -> finalize) on an embedded platform.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, cast

from coderev.runtime.errors import RuntimePlatformError, TemplateError
from coderev.runtime.gateway import OPEN_LOCAL_NOTICE, RateLimiter
from coderev.runtime.platform.assembly import Platform, PlatformBackends
from coderev.runtime.platform.execution_store import SqliteExecutionStore
from coderev.runtime.template import S3Event, Template, load_template
from coderev.scratch import remove_abandoned

if TYPE_CHECKING:
    from coderev.adapters.embedded.event_bus import InMemoryEventBus
    from coderev.adapters.s3 import S3ObjectStore
    from coderev.analyses.model import AnalysisRecord
    from coderev.config import Settings
    from coderev.pipeline.request import ReviewRequest
    from coderev.ports import ObjectStore
    from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
    from coderev.runtime.states import HistoryEvent

__all__ = [
    "EXECUTIONS_FILE",
    "PlatformReview",
    "ServeError",
    "build_platform",
    "default_template",
    "execution_store",
    "review_on_platform",
    "serve",
]

logger = logging.getLogger(__name__)

EXECUTIONS_FILE = "executions.db"
ABORTED_STOP_SECONDS = 10.0  # an aborted review waits this long for running handlers
REVIEW_SYNC_SECONDS = 1.0


class ServeError(RuntimePlatformError):
    """The template cannot be served: missing, unreadable, or not runnable locally."""


def execution_store(settings: Settings) -> SqliteExecutionStore:
    """The executions of this machine's platform (shared by `serve` and `executions`)."""
    return SqliteExecutionStore(
        settings.data_dir / EXECUTIONS_FILE, durable=settings.durable_writes
    )


def default_template() -> Path:
    """The template `coderev review` runs on when none is given: ./template.yaml, else the
    one of the source checkout this package runs from (layers/core/coderev → the repository
    root), so a review works from any folder of a checkout."""
    here = Path("template.yaml")
    if here.is_file():
        return here
    import coderev

    checkout = Path(coderev.__file__).resolve().parents[3] / "template.yaml"
    return checkout if checkout.is_file() else here


def read_template(path: Path, parameters: Mapping[str, str] | None = None) -> Template:
    if not path.is_file():
        raise ServeError(
            f"no template at {path}: run from the project folder or pass --template PATH "
            "(`coderev review --via direct` needs no template)"
        )
    try:
        return load_template(path, parameter_overrides=parameters)
    except TemplateError as exc:
        raise ServeError(f"{path} cannot be served locally: {exc}") from exc


def bucket_name(template: Template, default: str) -> str:
    """The bucket the S3 events name (what handlers see as S3_BUCKET), else `default`."""
    for _function, event in template.events_of(S3Event):
        bucket = template.buckets.get(event.bucket)
        if bucket is not None:
            return bucket.name
    return default


def build_platform(
    template_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parameters: Mapping[str, str] | None = None,
    retry_delay_scale: float = 1.0,
    sync_interval: float = 0.25,
) -> Platform:
    """The platform for `template_path` on the configured (or embedded) backends;
    `sync_interval`: how often the executions' history is written to the execution store."""
    from coderev import bootstrap
    from coderev.config import get_settings

    template = read_template(template_path, parameters)
    settings = get_settings()
    store = bootstrap.object_store()
    backends = PlatformBackends(
        object_store=_s3(store) if settings.s3_endpoint else _notifying(store, template, settings),
        event_bus=None if settings.kafka_bootstrap_servers else _embedded_bus(),
        kafka_bootstrap_servers=settings.kafka_bootstrap_servers,
        execution_store=execution_store(settings),
    )
    return Platform(template, backends, host=host, port=port,
                    retry_delay_scale=retry_delay_scale, sync_interval=sync_interval,
                    open_local_mode=open_local_mode(settings, host),
                    rate_limiter=rate_limiter(settings))  # fmt: skip


def open_local_mode(settings: Settings, host: str) -> bool:
    """Token-less requests act as the local admin: only embedded (no DATABASE_URL or
    REDIS_URL: coderev.auth.keys.is_embedded), without JWT_SECRET_KEY, and on a loopback
    address (anything else answers other machines, which must show a token)."""
    import ipaddress

    from coderev.auth.keys import is_embedded

    if settings.jwt_secret_key is not None and settings.jwt_secret_key.get_secret_value():
        return False
    if not is_embedded(settings):
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def rate_limiter(settings: Settings) -> RateLimiter | None:
    """The gateway's limit per principal (CODEREV_RATE_LIMIT_PER_MINUTE, 0: none)."""
    if settings.rate_limit_per_minute <= 0:
        return None
    return RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)


def _notifying(store: ObjectStore, template: Template, settings: Settings) -> NotifyingObjectStore:
    from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore

    bucket = bucket_name(template, settings.s3_bucket)
    return NotifyingObjectStore(store, bucket=bucket, region=template.identity.region)


def _s3(store: ObjectStore) -> S3ObjectStore:
    from coderev.adapters.s3 import S3ObjectStore

    assert isinstance(store, S3ObjectStore)
    return store


def _embedded_bus() -> InMemoryEventBus:
    from coderev import bootstrap
    from coderev.adapters.embedded.event_bus import InMemoryEventBus

    bus = bootstrap.event_bus()
    assert isinstance(bus, InMemoryEventBus)
    return bus


def serve(
    template_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    parameters: Mapping[str, str] | None = None,
    echo: Callable[[str], object] = print,
    stop_timeout: float = 60.0,
) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a clean stop, 1 if work had to be abandoned."""
    _configure_logging()
    platform = build_platform(template_path, host=host, port=port, parameters=parameters)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set():  # a second Ctrl-C: stop waiting for the running work
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        _prune_executions()
        remove_abandoned()  # what a killed server (or review) left in the temp folders
        platform.start()
        _announce(platform, echo)
        stop.wait()
        echo("coderev serve: stopping (finishing running executions)")
        clean = platform.stop(stop_timeout)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("coderev serve: stopped" if clean else "coderev serve: stopped, work abandoned")
    return 0 if clean else 1


def _configure_logging() -> None:
    """The process's own log lines at CODEREV_LOG_LEVEL, as JSON (with trace and span ids) when
    CODEREV_LOG_FORMAT=json; text lines stay Python's default (warnings and errors)."""
    import logging

    from coderev.config import get_settings

    settings = get_settings()
    if settings.log_format != "json":
        return
    from coderev.telemetry.logs import add_trace_ids_to_log_records, json_log_handler

    root = logging.getLogger()
    root.handlers[:] = [json_log_handler()]
    root.setLevel(settings.log_level.upper())
    add_trace_ids_to_log_records()


def _prune_executions() -> None:
    """Executions that ended before the retention cutoff go, as housekeeping deletes their
    analyses (Step Functions, too, keeps an ended execution's history for a limited time)."""
    from datetime import UTC, datetime, timedelta

    from coderev.config import get_settings

    settings = get_settings()
    cutoff = datetime.now(UTC) - timedelta(days=settings.retention_days)
    execution_store(settings).delete_ended_before(cutoff)


def _announce(platform: Platform, echo: Callable[[str], object]) -> None:
    served = platform.describe()
    echo(f"coderev serve: {platform.template.path} on {platform.url}")
    if platform.gateway.open_local_mode:  # once, as a warning on stderr, not among the routes
        logger.warning(OPEN_LOCAL_NOTICE)
    echo("  GET /health")
    echo("  GET /metrics")
    for key in ("routes", "triggers", "schedules", "state_machines"):
        echo(key.replace("_", " ") + ":")
        for line in served[key] or ["(none)"]:
            echo(f"  {line}")
    echo("ready")


@dataclass(frozen=True)
class PlatformReview:
    """How one archive fared on the platform: the analysis record's outcome and its reports."""

    analysis_id: str
    status: str
    error: str | None = None
    cause: str | None = None
    reports: Mapping[str, bytes] = field(default_factory=dict)
    # what the Review (or MergeReview) step returned as report.json's summary (summary_of),
    # from the execution's output; None when its template's steps return none
    summary: Mapping[str, Any] | None = None


def review_on_platform(
    archive: bytes,
    name: str,
    formats: tuple[str, ...],
    *,
    request: ReviewRequest | None = None,
    baseline: bytes | None = None,
    template_path: Path | None = None,
    on_event: Callable[[HistoryEvent], object] = lambda _event: None,
    timeout: float = 600.0,
) -> PlatformReview:
    """Upload `archive` under `uploads/<id>/<name>` (the report names `name` as its source, as
    the direct engine does) with `request` as its metadata, record it as POST /analyses does,
    follow its execution (`on_event` gets each event of its history as it is recorded: a
    `...StateEntered` event names the state, MapStateStarted gives the Map's length), and
    return the outcome with the `formats` reports and always the json one (it holds the
    gate's verdict).

    `baseline`, an earlier report.json's bytes, is put under `baselines/<id>/report.json`
    first and named as the request's baseline_key.
    """
    import uuid
    from dataclasses import replace
    from datetime import UTC, datetime

    from coderev import bootstrap
    from coderev.analyses.model import NewAnalysis
    from coderev.analysis.collector import long_lived_settled
    from coderev.pipeline.request import ReviewRequest
    from coderev.service.housekeeping import UPLOADED_AT
    from coderev.service.uploads import read_report

    template_path = template_path or default_template()
    # The history is written once a second, not four times (the whole of it again at stop):
    # nobody watches it live, and each write takes the GIL from the analysis' steps.
    platform = build_platform(template_path, port=0, sync_interval=REVIEW_SYNC_SECONDS)
    store = platform.backends.object_store
    if store is None:
        raise ServeError(f"{template_path} declares no S3 trigger to start an analysis")
    records = bootstrap.analysis_repository()
    platform.start(http=False)  # the review uploads through the store: no HTTP routes needed
    try:
        with long_lived_settled():  # the platform is built: the collector leaves it be
            upload = uuid.uuid4()
            request = request or ReviewRequest()
            if baseline is not None:
                baseline_key = f"baselines/{upload}/report.json"
                store.put(baseline_key, baseline, content_type="application/json")
                request = replace(request, baseline_key=baseline_key)
            request, config = request.with_config_stored(f"configs/{upload}/config.json")
            if config is not None:
                store.put(request.config_key or "", config, content_type="application/json")
            key = f"uploads/{upload}/{name}"
            stamp = {UPLOADED_AT: datetime.now(UTC).isoformat()}
            info = store.put(key, archive, metadata=stamp | request.to_metadata())
            del archive  # uploaded: the analysis reads it from the store (the caller lets go too)
            new = NewAnalysis(store.bucket, key, info.etag.strip('"'), info.version_id)
            record, _created = records.create_if_absent(new)
            try:
                execution_arn = _follow(platform, record.id, _preloading(on_event),
                                        time.monotonic() + timeout)  # fmt: skip
            except BaseException:  # Ctrl-C, or the wait ran out: the analysis must not run on
                _abort(platform, record.id)
                timeout = ABORTED_STOP_SECONDS  # only the handlers still running are waited for
                raise
            record = records.get(record.id) or record
            summary = _report_summary(platform, execution_arn)
    finally:
        platform.stop(timeout)
    if record.status.value != "SUCCEEDED":
        cause = record.cause or f"see coderev executions show {execution_arn}"
        return PlatformReview(record.id, record.status.value, record.error or "", cause)
    wanted = dict.fromkeys((*formats, "json"))
    reports = {fmt: read_report(store, records, record.id, fmt).body for fmt in wanted}
    return PlatformReview(record.id, record.status.value, reports=reports, summary=summary)


# Imported on a thread of this process once the Map of AnalyzeShard begins: the Map's shards
# run in the pool's workers, this process idles, and the steps after it (Architecture, Review,
# Finalize, the audit sink) would import these one after another on the review's critical
# path (networkx, the experiments, promotion and audit rooms, the HTML report: about 0.4 s).
AFTER_THE_MAP = (
    "networkx",
    "coderev.architecture.analyze",
    "coderev.pipeline.steps_review",
    "coderev.reports.json_format",
    "coderev.reports.html_format",
    "coderev.review.gate",
    "coderev.experiments.live",
    "coderev.experiments.sql_repository",
    "coderev.promotion.from_experiments",
    "coderev.promotion.sql_repository",
    "coderev.audit.sink",
    "coderev.audit.sql_repository",
)
MAP_STATE = "AnalyzeShards"


def _preloading(
    on_event: Callable[[HistoryEvent], object],
) -> Callable[[HistoryEvent], object]:
    """`on_event` that also starts importing AFTER_THE_MAP when the Map state is entered."""
    import threading

    started = threading.Event()

    def recorded(event: HistoryEvent) -> object:
        entered = event.type == "MapStateEntered" and event.details.get("name") == MAP_STATE
        if entered and not started.is_set():
            started.set()
            threading.Thread(target=_import_all, args=(AFTER_THE_MAP,), daemon=True,
                             name="coderev-preload").start()  # fmt: skip
        return on_event(event)

    return recorded


def _import_all(names: tuple[str, ...]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:  # a step imports it again and reports what is missing
            logger.debug("preloading %s failed", name, exc_info=True)


def _report_summary(platform: Platform, execution_arn: str) -> Mapping[str, Any] | None:
    """The report's summary in the execution's output: MergeReview's after an AI review, else
    Review's (see coderev.pipeline.steps_review)."""
    from coderev.runtime.states import ExecutionNotFoundError

    if not execution_arn:
        return None
    try:
        output = platform.interpreter.describe(execution_arn).output
    except ExecutionNotFoundError:
        return None
    if not isinstance(output, Mapping):
        return None
    for step in ("merged", "review"):
        found = output.get(step)
        if isinstance(found, Mapping) and isinstance(found.get("report_summary"), Mapping):
            return cast(Mapping[str, Any], found["report_summary"])
    return None


def _follow(
    platform: Platform, analysis_id: str, on_event: Callable[[HistoryEvent], object],
    deadline: float,
) -> str:
    """Wait for the analysis' execution to end, handing `on_event` each event of its history
    as it is recorded."""
    from coderev.runtime.states import Execution, ExecutionNotFoundError, ExecutionStatus

    seen = 0
    execution: Execution | None = None
    machines = [entry.spec for entry in platform.machines.values()]
    arns = [spec.arn.replace(":stateMachine:", ":execution:", 1) + f":{analysis_id}"
            for spec in machines]  # fmt: skip
    # Once its execution is found only it is followed: a look for each machine's on every
    # poll opened a connection to the store each time (2 s of the GIL on Django's review);
    # the store hands a running execution back from memory.
    while time.monotonic() < deadline:
        for arn in arns:
            try:
                execution = platform.interpreter.describe(arn)
            except ExecutionNotFoundError:
                continue
            arns = [arn]
            events = execution.events()
            for event in events[seen:]:
                on_event(event)
            seen = len(events)
            if execution.status is not ExecutionStatus.RUNNING and events[-1].type in _CLOSED:
                return arn
            break
        if execution is None:  # the record is read only until an execution runs: a query per
            # poll would take the GIL from the steps for as long as the analysis runs
            record = _record(analysis_id)
            if record is not None and record.status.value == "FAILED" and not record.execution_id:
                return ""  # refused at ingest: no execution ran
            time.sleep(0.05)
        else:  # woken by its next event, so the end is seen as it comes, not up to 50 ms later
            execution.wait_for_events(seen, 0.05)
    raise ServeError(f"the analysis {analysis_id} did not end in time")


def _abort(platform: Platform, analysis_id: str) -> None:
    """Abort the analysis' execution (ABORTED, as StopExecution leaves it) and record the
    analysis FAILED with why."""
    import contextlib

    from coderev import bootstrap
    from coderev.pipeline.steps_finalize import mark_failed

    cause = "coderev review stopped before the analysis ended (interrupted or out of time)"
    for entry in platform.machines.values():
        arn = entry.spec.arn.replace(":stateMachine:", ":execution:", 1) + f":{analysis_id}"
        with contextlib.suppress(KeyError):  # never started here: nothing to stop
            platform.interpreter.stop(arn, "States.Aborted", cause)
    record = _record(analysis_id)
    if record is not None and not record.status.terminal:
        mark_failed(bootstrap.analysis_repository(), bootstrap.event_bus(), analysis_id,
                    "States.Aborted", cause)  # fmt: skip


_CLOSED = ("ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut")


def _record(analysis_id: str) -> AnalysisRecord | None:
    from coderev import bootstrap

    return bootstrap.analysis_repository().get(analysis_id)
