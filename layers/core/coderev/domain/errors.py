"""Errors are types. Entry points map them to exit codes / HTTP statuses by type, in one table."""

from __future__ import annotations


class CoderevError(Exception):
    """Base of every error coderev raises on purpose."""


class InputError(CoderevError):
    """The user's input cannot be used (exit code 2 on the CLI, 4xx over HTTP)."""


class UnsupportedInputError(InputError):
    """Not a directory or a supported archive (.zip, .tar, .tar.gz, .tgz)."""


class ArchiveLimitError(InputError):
    """An archive exceeds a safety limit. The message names the limit and the value."""

    def __init__(
        self, limit: str, value: int | float, maximum: int | float, member: str = ""
    ) -> None:
        self.limit = limit
        self.value = value
        self.maximum = maximum
        self.member = member
        where = f" (member {member!r})" if member else ""
        shown = f"{limit} is {_number(value)}, maximum is {_number(maximum)}"
        super().__init__(f"archive limit exceeded: {shown}{where}")


def _number(x: int | float) -> str:
    """Byte counts exactly (`:g` would print 1073741825 as 1.07374e+09), ratios briefly."""
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


class CorruptArchiveError(InputError):
    """The archive cannot be read (truncated, bad CRC, not really that format)."""


class ConfigError(InputError):
    """Invalid coderev / import-linter configuration or command-line option."""


class BaselineError(InputError):
    """The baseline report is missing, unreadable, or of an unsupported schema version."""


class NotFoundError(InputError):
    """A named record (provider, model, ...) does not exist (404 over HTTP)."""


class ConflictError(InputError):
    """The request conflicts with the record's current state (409 over HTTP)."""


# --- AI model providers -----------------------------------------------------------------------
# Raised by every ModelProvider adapter, whatever SDK it wraps, so the router decides on the
# type alone. Messages never contain an API key.


class ProviderError(CoderevError):
    """A model provider call failed. `retryable`: another attempt (or candidate) may work."""

    retryable: bool = True

    def __init__(self, message: str, *, provider: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status


class ProviderRateLimited(ProviderError):
    """429: the provider asks to slow down; `retry_after` seconds when it said (uncapped)."""

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """5xx or 529 (overloaded): the provider is failing now."""


class ProviderTimeout(ProviderError):
    """No (complete) answer within the timeout, including a slow first token."""


class ProviderConnectionError(ProviderError):
    """The connection failed or dropped, including mid-stream."""


class ProviderInvalidOutput(ProviderError):
    """The reply arrived but cannot be used (not the JSON the prompt's schema asks for)."""


class ProviderAuthError(ProviderError):
    """401/403: the key is missing, wrong or lacks access. Retrying the same provider is futile."""

    retryable = False


class ProviderRequestError(ProviderError):
    """400/404/422: the request itself is refused (unknown model, too long). Not retryable."""

    retryable = False


class SecretBoxError(CoderevError):
    """A sealed secret cannot be sealed or opened: the master key is missing or another one, the
    blob was altered or moved to another record, or the key service refused. Never carries the
    secret."""


class GraphStoreError(CoderevError):
    """The graph server refused a statement or cannot be reached (the statement's text is in the
    message, never its parameters or the server's credentials)."""
