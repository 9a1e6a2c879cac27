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
