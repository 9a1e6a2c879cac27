"""Powertools Logger, Metrics and Tracer for the handlers, and what each outcome counts.

The X-Ray Tracer is built only on AWS with tracing on: Powertools' Tracer imports the X-Ray SDK
(and botocore) even when disabled, some 600 ms of cold start that buys nothing locally, where
POWERTOOLS_TRACE_DISABLED is set anyway.

`traced` also opens an OpenTelemetry span for the invocation when tracing is on
(`coderev.telemetry.tracing`) and no span is current: on AWS, or a handler called directly. Its
parent is the trace context the event carries (an API Gateway `traceparent` header, Kafka
record headers, an execution input's `trace`). Under `coderev serve` the invoker's span is
already current, so the handler adds none. On a Lambda sandbox the spans are flushed before
the handler returns (the sandbox may be frozen right after).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

__all__ = ["count_outcome", "traced", "tracing_enabled"]

NAMESPACE = "coderev"
_FALSE = ("", "0", "false", "no")


def tracing_enabled() -> bool:
    """On a real Lambda sandbox, unless POWERTOOLS_TRACE_DISABLED says otherwise."""
    if not os.environ.get("AWS_LAMBDA_RUNTIME_API"):
        return False
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in _FALSE


def traced[F: Callable[..., Any]](handler: F) -> F:
    """`handler` in an OpenTelemetry span (see the module docstring), and in
    `tracer.capture_lambda_handler` where X-Ray tracing is on."""
    inner: Callable[..., Any] = handler
    if tracing_enabled():
        from aws_lambda_powertools import Tracer

        inner = Tracer().capture_lambda_handler(handler)

    @functools.wraps(handler)
    def in_span(event: Any, context: Any) -> Any:
        from coderev.telemetry import tracing

        if not tracing.enabled() or tracing.recording():
            return inner(event, context)
        name = getattr(context, "function_name", None) or handler.__module__
        attributes = {"faas.name": name,
                      "faas.invocation_id": getattr(context, "aws_request_id", None)}
        try:
            with tracing.span(f"lambda {name}", attributes, parent=tracing.event_carrier(event),
                              kind="server"):  # fmt: skip
                return inner(event, context)
        finally:
            if os.environ.get("AWS_LAMBDA_RUNTIME_API"):
                tracing.flush()

    return cast("F", in_span)


def count_outcome(metrics: Metrics, outcome: str) -> None:
    """One metric per outcome: `<outcome>` = 1 (Started, Duplicate, CorruptArchiveError...)."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
