"""Errors of the analyses room. Entry points map them by type (404, 409, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coderev.domain.errors import CoderevError

if TYPE_CHECKING:
    from coderev.analyses.model import AnalysisStatus

__all__ = [
    "AnalysisError",
    "AnalysisNotFoundError",
    "AnalysisStoreError",
    "InvalidTransitionError",
]


class AnalysisError(CoderevError):
    """Base of the analyses room's errors."""


class AnalysisNotFoundError(AnalysisError, LookupError):
    def __init__(self, analysis_id: str) -> None:
        self.analysis_id = analysis_id
        super().__init__(f"no analysis {analysis_id!r}")


class InvalidTransitionError(AnalysisError):
    """A status change the record's current status does not allow (e.g. SUCCEEDED → RUNNING)."""

    def __init__(self, analysis_id: str, current: AnalysisStatus, wanted: AnalysisStatus) -> None:
        self.analysis_id = analysis_id
        self.current = current
        self.wanted = wanted
        super().__init__(
            f"analysis {analysis_id!r} is {current.value}; it cannot become {wanted.value}"
        )


class AnalysisStoreError(AnalysisError):
    """The database holding analysis records cannot be used (unsupported URL, unreachable...)."""
