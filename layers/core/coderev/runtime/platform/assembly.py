"""The local function platform assembled: everything `coderev serve` runs for one template.

`Platform` builds, from a loaded template, the `LocalInvoker`, one States Language machine
per `AWS::Serverless::StateMachine` run by one `Interpreter` (whose Task states invoke the
template's functions through the invoker), the `Gateway`, the `Scheduler` and the
`EventSources`; it registers its `LocalStateMachineStarter` in `bootstrap` so an in-process
handler (ingest) starts executions here. `start()` brings the parts up (sources before the
gateway, so nothing accepted goes unheard); `stop()` takes them down in the order that loses
no work: stop accepting HTTP, stop the schedules and event sources (in-flight batches and
queued notifications finish), finish the accepted asynchronous invocations, then wait for
the running executions, up to a timeout, and abort what is left.

Recovery: a platform that crashed left its executions RUNNING in a persistent execution
store. `start()` first closes those whose owner is gone (`close_orphans`, see
`coderev.runtime.platform.execution_store`), then reconciles the analysis records once, as the
housekeeping schedule does (`coderev.service.housekeeping.reconcile`): an analysis whose
execution ended without finishing it is recorded FAILED with the execution's cause.

Handlers' environment: the template's per-function variables, except `HOST_VARIABLES`, which
keep this process's values: in-process, the handlers share the platform's backends (data dir,
object store, bus, database), whatever the template says for a Lambda sandbox.

Task resources are what the cloud accepts: a Lambda function ARN (the result is the
function's payload) or `arn:aws:states:::lambda:invoke` with Parameters.FunctionName and
Payload (the result is Invoke's response: Payload, StatusCode, ExecutedVersion...). A failing
function raises `TaskFailedError(errorType, cause)` where the cause is the JSON error object,
so Retry and Catch match the handler's exception name as they do on AWS.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coderev.adapters.embedded.state_machines import without_trace
from coderev.ports import ExecutionDescription
from coderev.runtime.errors import (
    FunctionNotFoundError,
    FunctionThrottledError,
    InvalidEventError,
    RuntimePlatformError,
)
from coderev.runtime.event_sources import EventSourceBackends, EventSources
from coderev.runtime.event_sources.schedules import Scheduler
from coderev.runtime.invoker import InvocationResult, LocalInvoker
from coderev.runtime.states import (
    Execution,
    ExecutionAlreadyExistsError,
    ExecutionNotFoundError,
    ExecutionStatus,
    ExecutionStore,
    InMemoryExecutionStore,
    Interpreter,
    Sleeper,
    StateMachine,
    TaskContext,
    TaskFailedError,
)
from coderev.runtime.template import StateMachineSpec, Template
from coderev.runtime.template.events import ApiEvent
from coderev.telemetry import metrics

if TYPE_CHECKING:
    from coderev.adapters.embedded.event_bus import InMemoryEventBus
    from coderev.adapters.s3 import S3ObjectStore
    from coderev.ports import ObjectStore
    from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
    from coderev.runtime.gateway import AuthorizerHook, Gateway, RateLimiter

__all__ = [
    "HOST_VARIABLES",
    "LAMBDA_INVOKE",
    "LambdaTaskInvoker",
    "LocalStateMachineStarter",
    "Platform",
    "PlatformBackends",
    "UnknownStateMachineError",
]

logger = logging.getLogger(__name__)

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
_FUNCTION_ARN_PREFIX = ("arn:aws:lambda:", "arn:aws-cn:lambda:", "arn:aws-us-gov:lambda:")
HOST_VARIABLES = frozenset({
    "CODEREV_DATA_DIR", "DATABASE_URL", "REDIS_URL", "NEO4J_URI", "NEO4J_USER",
    "NEO4J_PASSWORD", "S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY",
    "KAFKA_BOOTSTRAP_SERVERS", "OPA_URL", "STEPFUNCTIONS_ENDPOINT", "JWT_SECRET_KEY",
})  # fmt: skip


class UnknownStateMachineError(RuntimePlatformError):
    """A start named a state machine the template does not declare."""


class StartRefusedError(RuntimePlatformError):
    """StartExecution's ExecutionAlreadyExists: the name was used with another input."""


class LambdaTaskInvoker:
    """Runs Task states on the template's functions, with Lambda's integration shapes."""

    def __init__(self, invoker: LocalInvoker) -> None:
        self.invoker = invoker

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        if resource in (LAMBDA_INVOKE, LAMBDA_INVOKE + ".waitForTaskToken"):
            if resource != LAMBDA_INVOKE:
                raise TaskFailedError("States.Runtime", f"{resource} is not supported locally")
            if not isinstance(payload, Mapping) or "FunctionName" not in payload:
                raise TaskFailedError(
                    "States.Runtime", "lambda:invoke needs Parameters.FunctionName"
                )
            result = self._call(str(payload["FunctionName"]), payload.get("Payload", {}))
            return {
                "ExecutedVersion": "$LATEST",
                "Payload": result.payload,
                "SdkHttpMetadata": {"HttpStatusCode": result.status_code},
                "SdkResponseMetadata": {"RequestId": result.request_id},
                "StatusCode": result.status_code,
            }
        if resource.startswith(_FUNCTION_ARN_PREFIX):
            return self._call(resource, payload).payload
        raise TaskFailedError("States.Runtime", f"resource {resource} is not a Lambda function")

    def _call(self, function: str, event: Any) -> InvocationResult:
        try:
            result = self.invoker.invoke(function, event)
        except FunctionNotFoundError as exc:
            raise TaskFailedError("Lambda.ResourceNotFoundException", str(exc)) from exc
        except FunctionThrottledError as exc:
            raise TaskFailedError("Lambda.TooManyRequestsException", str(exc)) from exc
        except InvalidEventError as exc:
            raise TaskFailedError("Lambda.RequestTooLargeException", str(exc)) from exc
        if not result.ok:
            error = result.error_type or "Lambda.Unknown"
            raise TaskFailedError(error, json.dumps(result.payload))
        return result


@dataclass
class _Machine:
    spec: StateMachineSpec
    machine: StateMachine


class LocalStateMachineStarter:
    """The StateMachineStarter of the local platform: StartExecution on the Interpreter.

    A state machine is named by ARN, logical id or name. Like StartExecution on a STANDARD
    machine, the same name with the same input returns the existing execution; with another
    input it is refused (StartRefusedError). Executions run on background threads.
    """

    def __init__(self, interpreter: Interpreter, machines: Mapping[str, _Machine]) -> None:
        self.interpreter = interpreter
        self._machines = dict(machines)
        self._lock = threading.Lock()
        self._started: list[Execution] = []

    def machine(self, reference: str) -> _Machine:
        for entry in self._machines.values():
            if reference in (entry.spec.arn, entry.spec.logical_id, entry.spec.name):
                return entry
        raise UnknownStateMachineError(f"no state machine {reference!r} in the template")

    def start(self, state_machine: str, name: str, input: Mapping[str, Any]) -> str:
        entry = self.machine(state_machine)
        body = json.loads(json.dumps(dict(input)))
        with self._lock:
            try:
                execution = self.interpreter.start_background(
                    entry.machine, body, name, machine_name=entry.spec.name
                )
            except ExecutionAlreadyExistsError as exc:
                arn = str(exc)
                if without_trace(self.interpreter.describe(arn).input) != without_trace(body):
                    raise StartRefusedError(
                        f"ExecutionAlreadyExists: {name} already ran with other input"
                    ) from exc
                return arn
            self._started.append(execution)
        logger.info("started %s", execution.execution_arn)
        return execution.execution_arn

    def describe(self, execution_arn: str) -> ExecutionDescription | None:
        """DescribeExecution on the interpreter's store (None: no such execution)."""
        try:
            found = self.interpreter.describe(execution_arn)
        except ExecutionNotFoundError:
            return None
        return ExecutionDescription(found.status.value, found.error, found.cause)

    def running(self) -> list[Execution]:
        with self._lock:
            self._started = [e for e in self._started if e.status is ExecutionStatus.RUNNING]
            return list(self._started)

    def wait(self, timeout: float) -> bool:
        """Wait for the executions started here to end; False if some still run."""
        deadline = time.monotonic() + timeout
        while self.running():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        return True


@dataclass(frozen=True)
class PlatformBackends:
    """What the platform's event sources and handlers share with it.

    `object_store`: the embedded store wrapped for notifications, or S3 (then S3 events come
    through SQS); `event_bus`: the embedded bus (Kafka triggers consume it) or None for a
    real broker at `kafka_bootstrap_servers`.
    """

    object_store: NotifyingObjectStore | S3ObjectStore | None = None
    event_bus: InMemoryEventBus | None = None
    kafka_bootstrap_servers: str | None = None
    execution_store: ExecutionStore = field(default_factory=InMemoryExecutionStore)


class Platform:
    """Runs one template's functions, triggers and state machines in this process."""

    def __init__(
        self,
        template: Template,
        backends: PlatformBackends | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        authorizer: AuthorizerHook | Mapping[str, AuthorizerHook] | None = None,
        retry_delay_scale: float = 1.0,
        max_workers: int = 4,
        sync_interval: float = 0.25,
        sleeper: Sleeper | None = None,
        host_variables: Collection[str] = HOST_VARIABLES,
        open_local_mode: bool = False,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.template = template
        self.backends = backends or PlatformBackends()
        self.invoker = LocalInvoker(template, delay_scale=retry_delay_scale,
                                    host_variables=host_variables)  # fmt: skip
        self.execution_store = self.backends.execution_store
        self.interpreter = Interpreter(
            LambdaTaskInvoker(self.invoker),
            store=self.execution_store,
            max_workers=max_workers,
            sleeper=sleeper,
        )
        self.machines = {
            logical_id: _Machine(spec, StateMachine.from_definition(spec.load_definition()))
            for logical_id, spec in template.state_machines.items()
        }
        self.starter = LocalStateMachineStarter(self.interpreter, self.machines)
        self._gateway_address = (host, port)
        self._authorizer = authorizer
        self._open_local_mode = open_local_mode
        self._rate_limiter = rate_limiter
        self.scheduler = Scheduler(self.invoker)
        self.event_sources = EventSources(
            self.invoker,
            EventSourceBackends(
                event_bus=self.backends.event_bus,
                kafka_bootstrap_servers=self.backends.kafka_bootstrap_servers,
                object_store=self.backends.object_store,
            ),
        )
        self._sync_interval = sync_interval
        self._unregister_queues: Callable[[], None] | None = None
        self._stopping = threading.Event()
        self._syncer: threading.Thread | None = None
        self._started = False

    @functools.cached_property
    def gateway(self) -> Gateway:
        """The HTTP gateway, made when first asked for: a review that only uploads (`start`
        with `http=False`) never imports it (its modules were 0.11 s of every coderev review)."""
        from coderev.runtime.gateway import Gateway

        host, port = self._gateway_address
        return Gateway(self.invoker, host=host, port=port, authorizer=self._authorizer,
                       open_local_mode=self._open_local_mode,
                       rate_limiter=self._rate_limiter)  # fmt: skip

    @property
    def url(self) -> str:
        return self.gateway.url

    def start(self, *, http: bool = True) -> Platform:
        """Close the executions a stopped platform left running, wire the handlers' ports to
        this platform, reconcile the analyses, then start sources, schedules, and HTTP unless
        `http` is False (a review that only uploads needs no routes). The gateway's port is
        bound first: one in use stops the start before anything else runs."""
        if http:
            self.gateway.address  # noqa: B018 - binds it
        self.close_orphans()
        metrics.use_prometheus()  # GET /metrics; the handlers' metrics count from now on
        self._unregister_queues = metrics.queue_depths(self.queue_depths)
        _wire_handlers(self)
        self._reconcile_records()
        self.event_sources.start()
        self.scheduler.start()
        if http:
            self.gateway.start()
        if hasattr(self.execution_store, "sync"):
            self._syncer = threading.Thread(target=self._sync_loop, name="coderev-executions",
                                            daemon=True)  # fmt: skip
            self._syncer.start()
        self._started = True
        return self

    def stop(self, timeout: float = 30.0) -> bool:
        """Graceful stop (see the module docstring); True if nothing had to be abandoned."""
        deadline = time.monotonic() + timeout

        def left() -> float:
            return max(0.0, deadline - time.monotonic())

        clean = True
        if "gateway" in self.__dict__:  # made (see gateway): stopped first
            clean = self.gateway.stop(min(10.0, left()))
        self.scheduler.stop(min(5.0, left()))
        clean = self.event_sources.stop(left()) and clean
        self.invoker.close(wait=True)
        if not self.starter.wait(left()):
            clean = False
            for execution in self.starter.running():
                logger.warning("aborting %s at shutdown", execution.execution_arn)
                self.interpreter.stop(execution.execution_arn, "States.Aborted",
                                      "the local platform shut down")  # fmt: skip
            self.starter.wait(5.0)
        _unwire_handlers()
        if self._unregister_queues is not None:
            self._unregister_queues()
        self._stopping.set()
        if self._syncer is not None:
            self._syncer.join(5.0)
        self._sync()
        self._started = False
        return clean

    def queue_depths(self) -> dict[str, int]:
        """What waits in the platform's queues (coderev_queue_depth{queue})."""
        return {**self.invoker.queue_depths(), **self.event_sources.queue_depths()}

    def __enter__(self) -> Platform:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def close_orphans(self) -> list[str]:
        """Close the RUNNING executions whose runtime is gone (a persistent store only)."""
        close = getattr(self.execution_store, "close_orphans", None)
        if close is None:
            return []
        closed: list[str] = close()
        for arn in closed:
            logger.warning("closed %s: the coderev serve that ran it stopped", arn)
        return closed

    def _reconcile_records(self) -> None:
        """Analyses whose execution ended unfinished: FAILED now, not at the next schedule.

        Only those whose execution this store holds, ended (`closed_only`): it cannot tell a
        missing execution from one another store ran; those are the schedule's, after its
        grace period. Skipped on an in-memory or empty store. Never stops the platform.
        """
        if not hasattr(self.execution_store, "close_orphans") or not self.execution_store.list():
            return
        try:
            from coderev import bootstrap
            from coderev.config import get_settings
            from coderev.service.housekeeping import reconcile

            counts = reconcile(
                bootstrap.analysis_repository(), self.starter, bootstrap.event_bus(),
                grace_minutes=get_settings().reconcile_grace_minutes, closed_only=True,
            )  # fmt: skip
        except Exception:
            logger.exception("could not reconcile the analyses with their executions")
            return
        if counts.analyses_failed:
            logger.warning("recorded %d unfinished analyses FAILED", counts.analyses_failed)

    def _sync(self) -> None:
        sync = getattr(self.execution_store, "sync", None)
        if sync is not None:
            sync()

    def _sync_loop(self) -> None:
        while not self._stopping.wait(self._sync_interval):
            try:
                self._sync()
            except Exception:
                logger.exception("could not write the executions' history")

    def describe(self) -> dict[str, list[str]]:
        """What this platform serves: routes, triggers, schedules, state machines."""
        routes = [f"{event.method.upper()} {event.path} -> {function.logical_id}"
                  for function, event in self.template.events_of(ApiEvent)]  # fmt: skip
        triggers = [f"S3 {event.name} -> {function}"
                    for function, event in self.event_sources.s3_events]  # fmt: skip
        triggers += [f"{worker.name}" for worker in self.event_sources.workers
                     if worker.name.startswith("kafka:")]  # fmt: skip
        schedules = [f"{name} next at {moment:%Y-%m-%d %H:%M:%S}Z" if moment else name
                     for name, moment in self.scheduler.next_fire_times.items()]  # fmt: skip
        machines = [f"{entry.spec.name} ({entry.spec.arn})" for entry in self.machines.values()]
        return {"routes": routes, "triggers": triggers, "schedules": schedules,
                "state_machines": machines}  # fmt: skip


def _wire_handlers(platform: Platform) -> None:
    """Point the in-process handlers' ports at this platform's starter and object store."""
    from coderev import bootstrap

    bootstrap.use_state_machine_starter(platform.starter)
    store = platform.backends.object_store
    if store is not None:
        _use_object_store(store)


def _unwire_handlers() -> None:
    from coderev import bootstrap

    bootstrap.use_state_machine_starter(None)
    _use_object_store(None)


_BUILT_OBJECT_STORE: dict[str, Any] = {}


def _use_object_store(store: ObjectStore | None) -> None:
    """Make `bootstrap.object_store()` return `store` (None: what bootstrap builds).

    The handlers' uploads must go through the notifying store for S3 events to fire. Prefer
    bootstrap's own hook; until it has one, swap its provider for the platform's lifetime.
    """
    from coderev import bootstrap

    hook = getattr(bootstrap, "use_object_store", None)
    if hook is not None:
        hook(store)
        return
    if store is None:
        built = _BUILT_OBJECT_STORE.pop("provider", None)
        if built is not None:
            setattr(bootstrap, "object_store", built)  # noqa: B010
        return
    _BUILT_OBJECT_STORE.setdefault("provider", bootstrap.object_store)

    @functools.cache  # keeps `cache_clear`, which bootstrap.reset() calls
    def platform_store() -> ObjectStore:
        return store

    setattr(bootstrap, "object_store", platform_store)  # noqa: B010
