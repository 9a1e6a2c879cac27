"""The quotas room's errors."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, InputError

__all__ = ["InvalidQuotaRequestError", "QuotaStoreError"]


class InvalidQuotaRequestError(InputError):
    """A check names an unknown metric, a negative or non-whole amount, or an invalid name."""


class QuotaStoreError(CoderevError):
    """The quota store cannot be reached or answered nonsense (503 over HTTP): nothing was
    decided, so a caller must not treat it as allowed."""
