"""Logs: JSON lines carrying the trace and span ids of the span they were written in.

Every log record made while tracing is on gets `trace_id` and `span_id` attributes (a log
record factory, installed once): Powertools' Logger (the handlers') prints a record's extra
attributes as JSON keys, so its lines carry them with no change to a handler. `coderev serve`
prints its own lines (gateway, event sources, runtime) as JSON with Powertools' formatter too
when `CODEREV_LOG_FORMAT=json` (`json_log_handler`), so Loki's `{job="coderev"} | json` reads
every line, and a line's `trace_id` finds its trace in Tempo.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["add_trace_ids_to_log_records", "json_log_handler"]

_installed = False
_lock = threading.Lock()


def add_trace_ids_to_log_records() -> None:
    """Install (once) the record factory adding `trace_id` and `span_id` when a span is current."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            from coderev.telemetry.tracing import current_ids

            record = previous(*args, **kwargs)
            ids = current_ids()
            if ids is not None:
                record.trace_id, record.span_id = ids
            return record

        logging.setLogRecordFactory(factory)
        _installed = True


def json_log_handler(service: str = "coderev") -> logging.Handler:
    """A stderr handler writing each record as one JSON object (Powertools' formatter: level,
    location, message, timestamp, service, and the record's extra keys such as trace_id)."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    handler = logging.StreamHandler()
    handler.setFormatter(LambdaPowertoolsFormatter(service=service))
    return handler
