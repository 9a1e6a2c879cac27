"""Invokes the template's functions in-process with Lambda's semantics.

Synchronous invocations return what Lambda's Invoke API returns: the payload, or the
error object `{"errorType", "errorMessage", "requestId", "stackTrace"}` with
FunctionError "Unhandled" — a failing handler never raises out of `invoke`. Events and
payloads travel as JSON, as they do on Lambda, so a handler never shares an object with
its caller. Asynchronous invocations retry (MaximumRetryAttempts, default 2) after
scaled delays (AWS waits about 1 and 2 minutes) and then go to the function's
dead-letter target, a queryable in-memory `DeadLetterQueue`.

Constraints, stated because they differ from Lambda:
- `os.environ` is process-global. Invocations of the *same* function run concurrently;
  invocations of *different* functions take turns (`EnvironmentGate`). A handler that
  invokes another function in-process nests inside its own turn instead of waiting; a
  handler that *waits on another thread* invoking a different function blocks that
  thread until the handler returns or times out. Each handler runs in a settings scope of
  its own environment, so `coderev.config.get_settings()` is its function's (see
  `invoker_environment`); `host_variables` keep the process's values in every function.
- The timeout is enforced by running the handler on a worker thread (`HandlerThreads`):
  at the deadline the invoker answers `Sandbox.Timedout` at once and stops the handler by
  raising `InvocationTimedOutError` in its thread (see `threads` for how, and why not a
  process per invocation); its `finally` blocks run and its resources are released. A call
  blocked in C (waiting for a subprocess) ends before the stop lands. Its module is
  dropped, so the next invocation starts cold, as a fresh Lambda sandbox would.

Telemetry: each invocation (each attempt of an asynchronous one) is a span `invoke <function>`
child of the caller's (the handler thread runs under it, so the handler's own work nests
inside), and counts in the function metrics (invocations, errors by type, cold starts,
duration) when `coderev serve` exports them.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coderev.runtime.errors import (
    FunctionThrottledError,
    HandlerLoadError,
    InvalidEventError,
    InvocationTimedOutError,
    InvokerClosedError,
)
from coderev.runtime.invoker.dead_letters import DeadLetter, DeadLetterQueue
from coderev.runtime.invoker.environment import (
    EnvironmentGate,
    lambda_environment,
    settings_bound,
)
from coderev.runtime.invoker.lambda_context import LambdaContext, log_stream_for
from coderev.runtime.invoker.threads import HandlerThreads
from coderev.runtime.template import FunctionSpec, Handler, Template, load_handler, load_template
from coderev.telemetry import metrics, tracing

__all__ = [
    "AsyncInvocation",
    "DeadLetter",
    "DeadLetterQueue",
    "FunctionStats",
    "InvocationResult",
    "LocalInvoker",
]

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024
AWS_RETRY_DELAYS = (60.0, 120.0)


@dataclass(frozen=True)
class InvocationResult:
    """What Lambda's Invoke API returns for one invocation."""

    function: str
    request_id: str
    payload: Any
    function_error: str | None = None
    status_code: int = 200
    duration_ms: float = 0.0
    init_duration_ms: float | None = None
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.function_error is None

    @property
    def cold_start(self) -> bool:
        return self.init_duration_ms is not None

    @property
    def error_type(self) -> str | None:
        return None if self.ok else str(self.payload.get("errorType", "Unhandled"))

    @property
    def error_message(self) -> str | None:
        return None if self.ok else str(self.payload.get("errorMessage", ""))


@dataclass
class FunctionStats:
    invocations: int = 0
    errors: int = 0
    timeouts: int = 0
    cold_starts: int = 0
    throttles: int = 0


@dataclass(frozen=True)
class AsyncInvocation:
    """An accepted asynchronous invocation (status 202); `result()` waits for its outcome."""

    function: str
    request_id: str
    future: Future[InvocationResult]

    def result(self, timeout: float | None = None) -> InvocationResult:
        """The last attempt's result, after retries and dead-lettering are done."""
        return self.future.result(timeout)


class LocalInvoker:
    """Runs the functions of one template in this process."""

    def __init__(
        self,
        template: Template | str | Path,
        base_dir: str | Path | None = None,
        *,
        delay_scale: float = 1.0,
        retry_delays: Sequence[float] = AWS_RETRY_DELAYS,
        sleep: Callable[[float], object] | None = None,
        async_workers: int = 4,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        host_variables: Collection[str] = (),
    ):
        self.template = template if isinstance(template, Template) else load_template(template)
        self._functions = dict(self.template.functions)
        if base_dir is not None:
            root = Path(base_dir).resolve()
            self._functions = {
                key: _rerooted(spec, root)
                for key, spec in self._functions.items()
            }
        self._delays = tuple(delay * delay_scale for delay in retry_delays) or (0.0,)
        self._closing = threading.Event()
        self._sleep = sleep or self._closing.wait
        self._clock = clock
        self._wall_clock = wall_clock
        self._executor = ThreadPoolExecutor(async_workers, thread_name_prefix="lambda-async")
        self._threads = HandlerThreads()
        self._gate = EnvironmentGate()
        self._handlers: dict[str, Handler] = {}
        self._log_streams: dict[str, str] = {}
        self._load_locks = {key: threading.Lock() for key in self._functions}
        self._stats = {key: FunctionStats() for key in self._functions}
        self._stats_lock = threading.Lock()
        self._async_pending = 0
        self._concurrency = {
            key: threading.BoundedSemaphore(spec.reserved_concurrency)
            for key, spec in self._functions.items()
            if spec.reserved_concurrency
        }
        self._environments = {
            key: lambda_environment(spec, self.template.identity, host_variables)
            for key, spec in self._functions.items()
        }
        self._queues: dict[str, DeadLetterQueue] = {}
        self.discarded = DeadLetterQueue("discarded")

    def function(self, reference: str) -> FunctionSpec:
        """The function for a logical id, name or ARN (FunctionNotFoundError otherwise)."""
        return self._functions[self.template.function(reference).logical_id]

    def invoke(
        self, reference: str, event: Any, *, invocation_type: str = "RequestResponse"
    ) -> InvocationResult:
        """Invoke like Lambda's Invoke API: RequestResponse, Event (202) or DryRun (204)."""
        spec = self.function(reference)
        if invocation_type == "Event":
            accepted = self.invoke_async(reference, event)
            return InvocationResult(spec.logical_id, accepted.request_id, None, status_code=202)
        if invocation_type == "DryRun":
            _as_json(event, SYNC_PAYLOAD_LIMIT)
            return InvocationResult(spec.logical_id, "", None, status_code=204)
        if invocation_type != "RequestResponse":
            raise ValueError(f"unknown invocation type {invocation_type!r}")
        return self._invoke(spec, _as_json(event, SYNC_PAYLOAD_LIMIT), str(uuid.uuid4()),
                            throttle_raises=True)

    def invoke_async(self, reference: str, event: Any) -> AsyncInvocation:
        """Queue an asynchronous invocation: retries, then the dead-letter target."""
        spec = self.function(reference)
        payload = _as_json(event, ASYNC_PAYLOAD_LIMIT)
        request_id = str(uuid.uuid4())
        if self._closing.is_set():
            raise InvokerClosedError("the invoker is closed")
        with self._stats_lock:
            self._async_pending += 1
        future = self._executor.submit(tracing.carry(self._run_async), spec, payload,
                                       request_id, self._clock())  # fmt: skip
        return AsyncInvocation(spec.logical_id, request_id, future)

    def dead_letters(self, reference: str) -> DeadLetterQueue:
        """The dead-letter queue of a function, or a queue by logical id or ARN."""
        for spec in self._functions.values():
            target = spec.dead_letter
            if target is not None and reference in (target.logical_id, target.arn):
                return self._queue_for(spec)
        spec = self.function(reference)
        return self._queue_for(spec)

    def queue_depths(self) -> dict[str, int]:
        """Messages waiting here: each dead-letter queue's (`dlq:<name>`), the invocations
        discarded without one, and the asynchronous invocations not yet started."""
        with self._stats_lock:
            depths = {f"dlq:{queue.name}": len(queue) for queue in self._queues.values()}
            depths["async_pending"] = self._async_pending
        depths["discarded"] = len(self.discarded)
        return depths

    def stats(self, reference: str) -> FunctionStats:
        with self._stats_lock:
            return dataclasses.replace(self._stats[self.function(reference).logical_id])

    def close(self, *, wait: bool = True) -> None:
        """Stop accepting asynchronous work; pending retries run without further delay."""
        self._closing.set()
        self._executor.shutdown(wait=wait)

    def __enter__(self) -> LocalInvoker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _queue_for(self, spec: FunctionSpec) -> DeadLetterQueue:
        if spec.dead_letter is None:
            return self.discarded
        with self._stats_lock:
            key = spec.dead_letter.arn
            if key not in self._queues:
                self._queues[key] = DeadLetterQueue(spec.dead_letter.logical_id or key)
            return self._queues[key]

    def _count(self, logical_id: str, **increments: int) -> None:
        with self._stats_lock:
            stats = self._stats[logical_id]
            for name, amount in increments.items():
                setattr(stats, name, getattr(stats, name) + amount)

    def _run_async(self, spec: FunctionSpec, event: Any, request_id: str,
                   accepted_at: float) -> InvocationResult:
        with self._stats_lock:
            self._async_pending -= 1
        result: InvocationResult | None = None
        attempts = 0
        for attempt in range(1 + max(0, spec.maximum_retry_attempts)):
            if attempt:
                self._sleep(self._delays[min(attempt - 1, len(self._delays) - 1)])
            if self._clock() - accepted_at > spec.maximum_event_age_seconds:
                break
            result = self._invoke(spec, event, request_id, throttle_raises=False)
            attempts += 1
            if result.ok:
                return dataclasses.replace(result, attempts=attempts)
        if result is None:
            result = InvocationResult(spec.logical_id, request_id, {
                "errorType": "EventAgeExceeded",
                "errorMessage": f"event older than {spec.maximum_event_age_seconds}s"},
                function_error="Unhandled", attempts=0)
        result = dataclasses.replace(result, attempts=attempts)
        self._queue_for(spec).put(DeadLetter(
            function=spec.logical_id, request_id=request_id, event=event,
            error_type=result.error_type or "", error_message=result.error_message or "",
            attempts=attempts, target=spec.dead_letter, failed_at=self._wall_clock(),
            function_arn=spec.arn))
        return result

    def _invoke(self, spec: FunctionSpec, event: Any, request_id: str, *,
                throttle_raises: bool) -> InvocationResult:
        attributes = {"faas.name": spec.function_name, "faas.invocation_id": request_id,
                      "coderev.function": spec.logical_id}
        with tracing.span(f"invoke {spec.logical_id}", attributes, kind="server") as span:
            result = self._invoke_once(spec, event, request_id, throttle_raises=throttle_raises)
            if span is not None:
                span.set_attribute("faas.coldstart", result.cold_start)
                if not result.ok:
                    from opentelemetry.trace import StatusCode

                    span.set_status(StatusCode.ERROR, result.error_type or "")
        metrics.function_invocation(spec.logical_id, result.duration_ms / 1000,
                                    error_type=result.error_type, cold_start=result.cold_start)
        return result

    def _invoke_once(self, spec: FunctionSpec, event: Any, request_id: str, *,
                     throttle_raises: bool) -> InvocationResult:
        with self._reserved(spec, throttle_raises) as admitted:
            if not admitted:
                return InvocationResult(spec.logical_id, request_id, _error_object(
                    "TooManyRequestsException", "Rate exceeded", request_id),
                    function_error="Throttled", status_code=429)
            with self._gate.turn(spec.logical_id,
                                 self._environments[spec.logical_id]) as environ:
                started = self._clock()
                handler, init_ms, load_error = self._handler(spec)
                if load_error is not None:
                    payload = _error_object(load_error.error_type, str(load_error), request_id)
                    self._count(spec.logical_id, invocations=1, errors=1)
                    return InvocationResult(spec.logical_id, request_id, payload, "Unhandled",
                                            init_duration_ms=init_ms)
                assert handler is not None
                context = LambdaContext.for_invocation(
                    function_name=spec.function_name, invoked_function_arn=spec.arn,
                    memory_limit_in_mb=spec.memory, timeout_seconds=spec.timeout,
                    clock=self._clock, request_id=request_id,
                    log_stream_name=self._log_streams.get(spec.logical_id, ""))
                payload, error = self._run(spec, handler, event, context, environ)
        duration = (self._clock() - started) * 1000
        self._count(spec.logical_id, invocations=1, errors=int(error),
                    cold_starts=int(init_ms is not None))
        return InvocationResult(spec.logical_id, request_id, payload,
                                "Unhandled" if error else None, 200, duration, init_ms)

    @contextmanager
    def _reserved(self, spec: FunctionSpec, throttle_raises: bool) -> Iterator[bool]:
        if spec.reserved_concurrency is None:
            yield True
            return
        semaphore = self._concurrency.get(spec.logical_id)
        if semaphore is None or not semaphore.acquire(blocking=False):
            self._count(spec.logical_id, throttles=1)
            if throttle_raises:
                raise FunctionThrottledError(spec.logical_id, spec.reserved_concurrency)
            yield False
            return
        try:
            yield True
        finally:
            semaphore.release()

    def _handler(self, spec: FunctionSpec) -> tuple[Handler | None, float | None,
                                                    HandlerLoadError | None]:
        cached = self._handlers.get(spec.logical_id)
        if cached is not None:
            return cached, None, None
        with self._load_locks[spec.logical_id]:
            cached = self._handlers.get(spec.logical_id)
            if cached is not None:
                return cached, None, None
            started = self._clock()
            try:
                handler = load_handler(spec)
            except HandlerLoadError as exc:
                return None, (self._clock() - started) * 1000, exc
            self._handlers[spec.logical_id] = handler
            self._log_streams[spec.logical_id] = log_stream_for()
            return handler, (self._clock() - started) * 1000, None

    def _run(self, spec: FunctionSpec, handler: Handler, event: Any,
             context: LambdaContext, environ: Mapping[str, str]) -> tuple[Any, bool]:
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            self._gate.mark_inside()
            try:
                with settings_bound(environ):  # its Settings, whoever has os.environ
                    box["value"] = handler(event, context)
            except BaseException as exc:
                box["error"] = exc
            finally:
                done.set()

        running = self._threads.run(tracing.carry(run))
        if not done.wait(spec.timeout):
            running.stop(InvocationTimedOutError)
            self._handlers.pop(spec.logical_id, None)
            self._count(spec.logical_id, timeouts=1)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self._wall_clock()))
            return _error_object(
                "Sandbox.Timedout",
                f"{stamp}Z {context.aws_request_id} Task timed out after "
                f"{spec.timeout:.2f} seconds", context.aws_request_id), True
        if "error" in box:
            exc = box["error"]
            trace = traceback.format_tb(exc.__traceback__.tb_next) if exc.__traceback__ else []
            return _error_object(type(exc).__name__, str(exc), context.aws_request_id,
                                 trace), True
        try:
            text = json.dumps(box.get("value"))
        except (TypeError, ValueError) as exc:
            return _error_object("Runtime.MarshalError", f"Unable to marshal response: {exc}",
                                 context.aws_request_id), True
        if len(text.encode()) > SYNC_PAYLOAD_LIMIT:
            return _error_object("Function.ResponseSizeTooLarge",
                                 "Response payload size exceeded maximum allowed payload size",
                                 context.aws_request_id), True
        return json.loads(text), False


def _as_json(event: Any, limit: int) -> Any:
    try:
        text = json.dumps(event)
    except (TypeError, ValueError) as exc:
        raise InvalidEventError(f"the event is not JSON: {exc}") from exc
    if len(text.encode()) > limit:
        raise InvalidEventError(f"the event is larger than {limit} bytes")
    return json.loads(text)


def _error_object(error_type: str, message: str, request_id: str,
                  stack_trace: list[str] | None = None) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id,
            "stackTrace": stack_trace or []}


def _rerooted(spec: FunctionSpec, new_root: Path) -> FunctionSpec:
    code_dir = (new_root / spec.code_uri).resolve()
    return dataclasses.replace(spec, code_dir=code_dir,
                               handler_file=code_dir / spec.handler_file.relative_to(spec.code_dir))

