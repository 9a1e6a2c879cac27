"""The HTTP client the openai and anthropic SDKs are given: their own default client (same
limits, redirects, keep-alive), plus one response hook that keeps the SDK from sleeping on a
server's `Retry-After`.

Why: with `max_retries` above 0 the SDKs sleep for whatever `Retry-After` says before
retrying (openai up to 120 s, anthropic with no practical cap). The router owns waiting: it
caps the delay (CODEREV_MAX_RETRY_AFTER_S) or falls back to another provider. So a response
that names a delay is marked `x-should-retry: false`, a header both SDKs obey; the SDK then
raises at once, and the delay reaches the router as `ProviderRateLimited.retry_after`. Replies
without a delay (a 500 with no header, a dropped connection) are still retried by the SDK with
its own short backoff (0.5 s doubling, at most 8 s), `max_retries` times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

__all__ = ["refuse_server_delay", "sdk_http_client"]


def refuse_server_delay(response: httpx2.Response) -> None:
    """Response hook: a reply asking for a delay is not retried by the SDK (see module)."""
    if "retry-after" in response.headers or "retry-after-ms" in response.headers:
        response.headers["x-should-retry"] = "false"


def sdk_http_client(factory: Callable[..., httpx2.Client], timeout_s: float) -> httpx2.Client:
    """`factory` is the SDK's DefaultHttpxClient; connect within 10 s at most."""
    options: dict[str, Any] = {
        "timeout": httpx2.Timeout(timeout_s, connect=min(timeout_s, 10.0)),
        "event_hooks": {"response": [refuse_server_delay]},
    }
    return factory(**options)
