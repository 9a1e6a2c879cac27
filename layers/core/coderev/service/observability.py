"""Powertools Logger, Metrics and Tracer for the handlers, and what each outcome counts.

The Tracer is built only on AWS with tracing on: Powertools' Tracer imports the X-Ray SDK (and
botocore) even when disabled, some 600 ms of cold start that buys nothing locally, where
POWERTOOLS_TRACE_DISABLED is set anyway. Elsewhere `traced` returns the handler unchanged.
"""

from __future__ import annotations

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
    """`tracer.capture_lambda_handler(handler)` where tracing is on, else `handler`."""
    if not tracing_enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return cast("F", Tracer().capture_lambda_handler(handler))


def count_outcome(metrics: Metrics, outcome: str) -> None:
    """One metric per outcome: `<outcome>` = 1 (Started, Duplicate, CorruptArchiveError...)."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=outcome, unit=MetricUnit.Count, value=1)
