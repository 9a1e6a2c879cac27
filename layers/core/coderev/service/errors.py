"""Errors of the analysis service. Entry points map them by type, never by message."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, InputError

__all__ = [
    "AnalysisNotRerunnableError",
    "BaselineUnavailableError",
    "EmptyUploadError",
    "InvalidFilenameError",
    "ReportNotFoundError",
    "ReportNotReadyError",
    "ServiceError",
    "StateMachineNotConfiguredError",
    "UnsupportedUploadError",
    "UploadGoneError",
]


class ServiceError(CoderevError):
    """Base of the service's errors."""


class EmptyUploadError(ServiceError, InputError):
    """An upload without bytes."""


class UnsupportedUploadError(ServiceError, InputError):
    """An upload of a kind coderev does not read (not a zip or tar archive)."""


class InvalidFilenameError(ServiceError, InputError):
    """A client's file name for its upload with nothing usable left once made safe."""


class BaselineUnavailableError(ServiceError, InputError):
    """The analysis named as a baseline is unknown or has no report.json to compare with."""


class ReportNotReadyError(ServiceError):
    """The analysis has not finished (or failed): it has no reports yet."""


class ReportNotFoundError(ServiceError, LookupError):
    """The analysis finished but holds no report in that format."""


class StateMachineNotConfiguredError(ServiceError):
    """ANALYSIS_STATE_MACHINE_ARN is not set: ingest cannot start an analysis."""


class AnalysisNotRerunnableError(ServiceError):
    """Only a FAILED analysis is rerun: a queued or running one is still going, a succeeded
    one has its reports (upload the archive again to analyse it anew)."""


class UploadGoneError(ServiceError):
    """The archive an analysis read is no longer stored as it was (swept, or replaced by a
    later upload to its key): there is nothing to rerun it from."""
