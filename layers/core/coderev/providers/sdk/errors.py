"""What every SDK failure becomes: one of the `ProviderError` types of coderev.domain.errors.

The router decides on the type alone (fall back, retry after a delay, give up), so each SDK's
exceptions, its HTTP client's (httpx2: timeouts and dropped connections, which some SDKs let
through from a stream unwrapped) and undecodable replies are mapped here, by status code first
and by type second. Messages name the provider, the status and the server's short message;
they never carry an API key (any key given is masked out of the text, and the SDK exception,
whose request holds the key in its headers, is not chained).
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Iterable, Mapping

from coderev.domain.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
)

__all__ = ["from_exception", "from_status", "masked", "retry_after_seconds"]

_MAX_DETAIL = 300  # characters of the server's message kept in ours


def retry_after_seconds(
    headers: Mapping[str, str] | None, now: float | None = None
) -> float | None:
    """The delay a response asks for: `retry-after-ms`, else `retry-after` in seconds or as an
    HTTP date; None when absent or unreadable. Uncapped: the router caps it."""
    if headers is None:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            delay = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(delay):
            return max(delay, 0.0)
    date = lowered.get("retry-after")
    if date:
        try:
            parsed = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError, IndexError):
            return None
        return max(parsed.timestamp() - (time.time() if now is None else now), 0.0)
    return None


def masked(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every secret replaced, and cut to a readable length."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[key]")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def from_status(
    status: int | None,
    detail: str,
    *,
    provider: str,
    headers: Mapping[str, str] | None = None,
    error_type: str | None = None,
) -> ProviderError:
    """The error for an HTTP status, or (status None or below 400) for an error the server
    announced inside a stream it had begun with 200, by the error's type."""
    shown = f"HTTP {status}" if status is not None and status >= 400 else "error in the stream"
    what = f"{provider}: {shown}" + (f" {error_type}" if error_type else "")
    message = f"{what}: {detail}" if detail else what
    if status is None or status < 400:
        kind = _kind_of_stream_error(error_type)
        if kind is ProviderRateLimited:
            return ProviderRateLimited(
                message, provider=provider, status=None, retry_after=retry_after_seconds(headers)
            )
        return kind(message, provider=provider, status=None)
    if status == 429:
        return ProviderRateLimited(
            message, provider=provider, status=status, retry_after=retry_after_seconds(headers)
        )
    if status in (401, 403):
        return ProviderAuthError(message, provider=provider, status=status)
    if status == 408:
        return ProviderTimeout(message, provider=provider, status=status)
    if status >= 500 or status == 409:  # 409: a lock timeout, as the SDKs treat it
        return ProviderUnavailable(message, provider=provider, status=status)
    return ProviderRequestError(message, provider=provider, status=status)


def _kind_of_stream_error(error_type: str | None) -> type[ProviderError]:
    """An error announced inside a stream (Anthropic's `event: error`, OpenAI's error
    chunk or `error` event): by its type, e.g. overloaded_error, rate_limit_error, api_error."""
    lowered = (error_type or "").lower()
    if "rate_limit" in lowered:
        return ProviderRateLimited
    if "timeout" in lowered:
        return ProviderTimeout
    if "invalid_request" in lowered or "context_length" in lowered:
        return ProviderRequestError
    if "authentication" in lowered or "permission" in lowered:
        return ProviderAuthError
    return ProviderUnavailable  # overloaded_error, api_error, server_error, unknown


def from_exception(
    exc: BaseException, *, provider: str, secrets: Iterable[str | None] = ()
) -> ProviderError:
    """The ProviderError for an exception raised while calling a provider or reading its reply."""
    if isinstance(exc, ProviderError):
        return exc
    import httpx2

    keys = tuple(secrets)
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    body = getattr(exc, "body", None)
    if "ResponseValidation" in name:  # a 200 whose body is not of the API's shape
        return ProviderInvalidOutput(
            f"{provider}: {name}: {masked(str(exc), keys)}", provider=provider, status=status
        )
    if isinstance(status, int):  # the SDKs' status errors (HF's HfHubHTTPError too)
        return from_status(
            status,
            masked(_server_message(exc), keys),
            provider=provider,
            headers=dict(response.headers) if response is not None else None,
            error_type=_error_type(exc),
        )
    if isinstance(body, Mapping) and name == "APIError":  # OpenAI: an error chunk in a stream
        return from_status(
            None, masked(_server_message(exc), keys), provider=provider,
            error_type=_error_type(exc),
        )  # fmt: skip
    detail = masked(str(exc), keys)
    message = f"{provider}: {name}" + (f": {detail}" if detail and detail != name else "")
    if isinstance(exc, httpx2.TimeoutException | TimeoutError) or "Timeout" in name:
        return ProviderTimeout(message, provider=provider)
    if isinstance(exc, httpx2.TransportError | ConnectionError) or "Connection" in name:
        return ProviderConnectionError(message, provider=provider)
    if isinstance(exc, TypeError):  # the SDK refused the call's arguments before sending
        return ProviderRequestError(message, provider=provider)
    if isinstance(exc, ValueError | KeyError | AttributeError) or any(
        word in name for word in ("Validation", "Decod", "JSON")
    ):  # an undecodable body or SSE event, a reply not of the API's shape
        return ProviderInvalidOutput(message, provider=provider)
    return ProviderError(message, provider=provider)


def _server_message(exc: BaseException) -> str:
    """The server's own words: the body's error.message when the SDK parsed one."""
    for attribute in ("api_message", "server_message"):
        value = getattr(exc, attribute, None)
        if isinstance(value, str) and value:
            return value
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


def _error_type(exc: BaseException) -> str | None:
    value = getattr(exc, "type", None)
    if isinstance(value, str):
        return value
    body = getattr(exc, "body", None)
    if isinstance(body, Mapping):
        error = body.get("error", body)
        if isinstance(error, Mapping) and isinstance(error.get("type"), str):
            return str(error["type"])
    return None
