"""Errors of the audit room."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, InputError
from coderev.domain.events import InvalidEventError

__all__ = ["AuditError", "AuditStoreError", "InvalidCloudEventError"]


class AuditError(CoderevError):
    """Base of the audit room's errors."""


class InvalidCloudEventError(AuditError, InvalidEventError, InputError):
    """A document that is not a CloudEvents 1.0 JSON event; the message says what is wrong.

    Also an InvalidEventError (and a ValueError), so a consumer that already handles the
    platform's malformed events handles these the same way.
    """


class AuditStoreError(AuditError):
    """The database holding the audit trail cannot be used."""
