"""Latency and the whole-reply deadline every adapter measures the same way."""

from __future__ import annotations

import time

from coderev.domain.errors import ProviderTimeout
from coderev.ports import CompletionRequest

__all__ = ["elapsed_ms", "within_deadline"]


def elapsed_ms(started: float) -> float:
    """Milliseconds since `started` (a time.perf_counter() reading)."""
    return (time.perf_counter() - started) * 1000.0


def within_deadline(started: float, request: CompletionRequest, provider: str) -> None:
    """Raise ProviderTimeout once a streamed reply has taken longer than request.timeout_s
    (the HTTP read timeout only bounds the wait for each piece)."""
    if time.perf_counter() - started > request.timeout_s:
        raise ProviderTimeout(
            f"{provider}: no complete reply within {request.timeout_s:g} s", provider=provider
        )
