"""Response models of the analyses API (its OpenAPI document is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.analyses.model import AnalysisRecord

__all__ = [
    "ERROR_RESPONSES",
    "UPLOAD_RESPONSES",
    "AnalysisAccepted",
    "AnalysisView",
    "ErrorView",
    "ReportFormat",
]

ReportFormat = Literal["json", "sarif", "md", "html"]


class ErrorView(BaseModel):
    error: str
    message: str


class AnalysisView(BaseModel):
    """An analysis as GET /analyses/{id} returns it."""

    model_config = ConfigDict(frozen=True)

    id: str
    status: Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]
    source: str
    project_id: str | None = None
    created_at: datetime
    updated_at: datetime
    error: str | None = None
    cause: str | None = None
    reports: dict[str, str] = {}  # format -> URL path of the report
    counts: dict[str, int] = {}

    @classmethod
    def of(cls, record: AnalysisRecord) -> AnalysisView:
        return cls(
            id=record.id,
            status=record.status.value,
            source=record.source_name,
            project_id=record.project_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            error=record.error,
            cause=record.cause,
            reports={f: f"/analyses/{record.id}/report/{f}" for f in sorted(record.report_keys)},
            counts=dict(record.counts),
        )


class AnalysisAccepted(BaseModel):
    """202 of POST /analyses: where to follow the analysis."""

    id: str
    status: str
    status_url: str
    upload_key: str

    @classmethod
    def of(cls, record: AnalysisRecord) -> AnalysisAccepted:
        return cls(
            id=record.id,
            status=record.status.value,
            status_url=f"/analyses/{record.id}",
            upload_key=record.object_key,
        )


# The error responses the OpenAPI document lists for every analyses route.
ERROR_RESPONSES: dict[int, OpenAPIResponse] = {
    status: {"description": text, "content": {"application/json": {"model": ErrorView}}}
    for status, text in (
        (400, "bad request"),
        (404, "unknown analysis"),
        (409, "analysis not finished"),
        (415, "not a zip, tar or tar.gz archive"),
        (503, "backend unavailable"),
    )
}

UPLOAD_RESPONSES: dict[int, OpenAPIResponse] = {
    202: {
        "description": "accepted: the analysis is queued",
        "content": {"application/json": {"model": AnalysisAccepted}},
    },
    **ERROR_RESPONSES,
}
