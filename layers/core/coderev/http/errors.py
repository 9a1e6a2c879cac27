"""Errors → HTTP status, by type, in one table (most specific class first wins by MRO).

Handlers import this module when an error is to be answered, not at cold start: the table
names error classes of several rooms, whose modules a successful request may never need.
"""

from __future__ import annotations

from coderev.adapters.embedded.object_store import InvalidObjectKeyError, ObjectStoreError
from coderev.analyses.errors import AnalysisNotFoundError, AnalysisStoreError
from coderev.analyses.model import InvalidCursorError
from coderev.auth.errors import (
    AuthConfigError,
    AuthenticationError,
    AuthStoreError,
    InvalidFieldError,
    PermissionDeniedError,
    WeakPasswordError,
)
from coderev.domain.errors import ConflictError, InputError, NotFoundError, SecretBoxError
from coderev.experiments.errors import ExperimentStoreError, InvalidExperimentError
from coderev.pipeline.request import RequestError
from coderev.policy.errors import PolicyDeniedError, PolicyEngineError
from coderev.projects.errors import (
    AccessDeniedError,
    InvalidProjectError,
    ProjectStoreError,
    TooManyPendingUploadsError,
)
from coderev.promotion.errors import PromotionStoreError
from coderev.providers.errors import InvalidProviderError, ProviderStoreError
from coderev.quotas.errors import QuotaStoreError
from coderev.service.errors import (
    AnalysisNotRerunnableError,
    BaselineUnavailableError,
    EmptyUploadError,
    InvalidFilenameError,
    ReportNotFoundError,
    ReportNotReadyError,
    UnsupportedUploadError,
    UploadGoneError,
)

__all__ = ["STATUS_BY_ERROR", "error_body", "status_for"]

STATUS_BY_ERROR: dict[type[BaseException], int] = {
    AnalysisNotFoundError: 404,
    AccessDeniedError: 403,
    PolicyDeniedError: 403,
    PolicyEngineError: 503,
    PromotionStoreError: 503,
    TooManyPendingUploadsError: 429,
    InvalidProjectError: 422,
    InvalidCursorError: 400,
    ProjectStoreError: 503,
    InvalidObjectKeyError: 404,
    ReportNotFoundError: 404,
    ReportNotReadyError: 409,
    AnalysisNotRerunnableError: 409,
    UploadGoneError: 409,
    EmptyUploadError: 400,
    UnsupportedUploadError: 415,
    RequestError: 422,
    BaselineUnavailableError: 422,
    InvalidFilenameError: 422,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    WeakPasswordError: 422,
    InvalidFieldError: 422,
    AuthConfigError: 503,
    AuthStoreError: 503,
    NotFoundError: 404,
    ConflictError: 409,
    InvalidProviderError: 422,
    InvalidExperimentError: 422,
    InputError: 400,
    AnalysisStoreError: 503,
    ObjectStoreError: 503,
    QuotaStoreError: 503,
    ProviderStoreError: 503,
    ExperimentStoreError: 503,
    SecretBoxError: 503,
}


def status_for(error: BaseException) -> int:
    """The status of the nearest class of `error` in the table; 500 when none is."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def error_body(error: BaseException) -> dict[str, str]:
    """What a client sees: the error's type and message, never a traceback."""
    if status_for(error) == 500:
        return {"error": "InternalError", "message": "internal error"}
    return {"error": type(error).__name__, "message": str(error)}
