"""The comparison room's errors."""

from __future__ import annotations

from coderev.domain.errors import InputError

__all__ = ["InvalidComparisonRequestError"]


class InvalidComparisonRequestError(InputError):
    """A comparison that cannot be computed as asked: an undeclared metric, a value of the
    wrong shape for its kind, a sequential plan whose looks are not increasing (400)."""
