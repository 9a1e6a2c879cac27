"""Response models of the analyses API (its OpenAPI document is generated from them).

Every model is `defer_build=True`: pydantic builds a model's validator and serializer the
first time it is used, not when the class is defined, so a cold start pays only for the
models the request in hand returns (the OpenAPI document, built on request, pays for all).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.analyses.model import AnalysisRecord
    from coderev.ports import PresignedDownload, PresignedUpload

__all__ = [
    "ERROR_RESPONSES",
    "PRESIGN_RESPONSES",
    "REPORT_RESPONSES",
    "RERUN_RESPONSES",
    "STATUS_RESPONSES",
    "UPLOAD_REQUEST_BODY",
    "UPLOAD_RESPONSES",
    "AnalysisAccepted",
    "AnalysisView",
    "ErrorView",
    "ReportFormat",
    "ReportLink",
    "UploadInstructions",
    "UploadTicket",
]

ReportFormat = Literal["json", "sarif", "md", "html"]
_DEFERRED = ConfigDict(defer_build=True)


class ErrorView(BaseModel):
    model_config = _DEFERRED

    error: str
    message: str


class AnalysisView(BaseModel):
    """An analysis as GET /analyses/{id} returns it."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    status: Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]
    awaiting_upload: bool = False  # QUEUED for a presigned upload that has not arrived yet
    source: str
    project_id: str | None = None
    created_at: datetime
    updated_at: datetime
    error: str | None = None  # FAILED: an input error's name, Timeout or InternalError
    cause: str | None = None  # a short sentence for the client (the whole cause is in the logs)
    reports: dict[str, str] = {}  # format -> URL path of the report
    counts: dict[str, int] = {}

    @classmethod
    def of(cls, record: AnalysisRecord) -> AnalysisView:
        error, cause = record.error, record.cause
        if record.status.value == "FAILED":
            from coderev.http.failures import public_failure

            error, cause = public_failure(record.id, error, cause)
        return cls(
            id=record.id,
            status=record.status.value,
            awaiting_upload=record.awaiting_upload,
            source=record.source_name,
            project_id=record.project_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            error=error,
            cause=cause,
            reports={f: f"/analyses/{record.id}/report/{f}" for f in sorted(record.report_keys)},
            counts=dict(record.counts),
        )


class AnalysisAccepted(BaseModel):
    """202 of POST /analyses (and of a rerun): where to follow the analysis."""

    model_config = _DEFERRED

    id: str
    status: str
    status_url: str
    upload_key: str
    rerun_of: str | None = None  # a rerun: the id of the FAILED analysis it repeats

    @classmethod
    def of(cls, record: AnalysisRecord, rerun_of: str | None = None) -> AnalysisAccepted:
        return cls(
            id=record.id,
            status=record.status.value,
            status_url=f"/analyses/{record.id}",
            upload_key=record.object_key,
            rerun_of=rerun_of,
        )


class UploadInstructions(BaseModel):
    """How to upload the archive: send `method` to `url` with exactly these `headers`."""

    model_config = _DEFERRED

    method: Literal["PUT"] = "PUT"
    url: str
    headers: dict[str, str] = {}  # signed: send each one, unchanged, or the upload is refused
    expires_at: datetime

    @classmethod
    def of(cls, upload: PresignedUpload, url: str) -> UploadInstructions:
        return cls(url=url, headers=dict(upload.headers), expires_at=upload.expires_at)


class UploadTicket(BaseModel):
    """201 of POST /analyses/uploads: the analysis reserved, where to PUT its archive."""

    model_config = _DEFERRED

    id: str
    status: str
    awaiting_upload: bool = True
    status_url: str
    upload_key: str
    upload: UploadInstructions

    @classmethod
    def of(cls, record: AnalysisRecord, upload: PresignedUpload, url: str) -> UploadTicket:
        return cls(
            id=record.id,
            status=record.status.value,
            awaiting_upload=record.awaiting_upload,
            status_url=f"/analyses/{record.id}",
            upload_key=record.object_key,
            upload=UploadInstructions.of(upload, url),
        )


class ReportLink(BaseModel):
    """Where to download a report: GET `url` (no credentials) before `expires_at`."""

    model_config = _DEFERRED

    url: str
    expires_at: datetime
    content_type: str
    size: int  # bytes, as stored (before any Content-Encoding)

    @classmethod
    def of(cls, download: PresignedDownload, url: str) -> ReportLink:
        return cls(url=url, expires_at=download.expires_at,
                   content_type=download.content_type, size=download.size)  # fmt: skip


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


# What any route of the API may answer besides its own outcomes: every one is an ErrorView.
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    400: _error("a malformed request (framing, Content-Length) the gateway refuses"),
    401: _error("no valid bearer token or API key (the authorizer refused it)"),
    403: _error("the caller's roles (or the API key's scopes) do not allow this action"),
    404: _error("no such analysis (or no such route)"),
    422: _error("a parameter is invalid: the message names it and the rule it broke"),
    414: _error("the request line (path and query) is over the gateway's limit"),
    429: _error("too many requests at once: the function is at its concurrency limit"),
    431: _error("the headers are over the gateway's limit"),
    500: _error("the server failed on this request (logged with the request id)"),
    502: _error("the function failed or timed out without answering"),
    503: _error("a backend (the records' database or the object store) is unavailable"),
}

_REQUEST_ERRORS: dict[int, OpenAPIResponse] = {
    **ERROR_RESPONSES,
    422: _error(
        "invalid parameters: a malformed fail_on, exclude or lint_config, a file name with "
        "nothing usable left, or a baseline analysis that is unknown or has no report.json"
    ),
}

STATUS_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "the analysis: its status, and once SUCCEEDED its reports' paths and "
        "counts; once FAILED its error and a short cause",
        "content": {"application/json": {"model": AnalysisView}},
    },
    **ERROR_RESPONSES,
}

UPLOAD_RESPONSES: dict[int, OpenAPIResponse] = {
    202: {
        "description": "accepted: the analysis is queued",
        "content": {"application/json": {"model": AnalysisAccepted}},
    },
    400: _error("the body is empty"),
    413: _error("the body is over the direct upload limit (~4.5 MB): use POST /analyses/uploads"),
    415: _error("not a zip, tar or tar.gz archive"),
    **_REQUEST_ERRORS,
}

PRESIGN_RESPONSES: dict[int, OpenAPIResponse] = {
    201: {
        "description": "the analysis is reserved: PUT the archive to upload.url with "
        "upload.headers before upload.expires_at; it starts once the archive is stored",
        "headers": {
            "Location": {
                "description": "the status URL of the analysis",
                "schema": {"type": "string"},
            }
        },
        "content": {"application/json": {"model": UploadTicket}},
    },
    **_REQUEST_ERRORS,
}

REPORT_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "with Accept: application/json, where to download the report",
        "content": {"application/json": {"model": ReportLink}},
    },
    303: {
        "description": "see Location: the presigned download URL of the report (the body "
        "is the same link as JSON)",
        "headers": {"Location": {"description": "the download URL", "schema": {"type": "string"}}},
        "content": {"application/json": {"model": ReportLink}},
    },
    409: _error("the analysis has not SUCCEEDED: it has no reports"),
    **ERROR_RESPONSES,
    404: _error("no such analysis, or it has no report in that format"),
}

RERUN_RESPONSES: dict[int, OpenAPIResponse] = {
    202: {
        "description": "accepted: a new analysis of the same archive is queued; `rerun_of` "
        "names the FAILED one it repeats",
        "headers": {
            "Location": {
                "description": "the status URL of the new analysis",
                "schema": {"type": "string"},
            }
        },
        "content": {"application/json": {"model": AnalysisAccepted}},
    },
    409: _error("the analysis is not FAILED, or its archive is no longer stored as it was"),
    **ERROR_RESPONSES,
}

# The body of POST /analyses, which its handler reads raw (Powertools documents no raw body).
UPLOAD_REQUEST_BODY: dict[str, object] = {
    "required": True,
    "description": "the archive: a zip, tar or tar.gz file of at most ~4.5 MB (larger ones: "
    "POST /analyses/uploads)",
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in ("application/octet-stream", "application/zip", "application/gzip")
    },
}
