"""Uploads over HTTP and what an analysis looks like from outside: status and reports.

`accept_upload` puts the archive under `uploads/<upload-id>.<ext>` and records the analysis
for that object version right away (the same `create_if_absent` ingest calls when the
notification arrives, so both find one record): the caller gets the analysis id at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from coderev.analyses.errors import AnalysisNotFoundError
from coderev.analyses.model import AnalysisRecord, AnalysisStatus, NewAnalysis
from coderev.analyses.repository import AnalysisRepository
from coderev.ports import ObjectStore
from coderev.service.errors import (
    EmptyUploadError,
    ReportNotFoundError,
    ReportNotReadyError,
    UnsupportedUploadError,
)
from coderev.service.housekeeping import UPLOADED_AT

__all__ = ["REPORT_CONTENT_TYPES", "Report", "accept_upload", "get_analysis", "read_report"]

REPORT_CONTENT_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x1f\x8b", "tar.gz"))


@dataclass(frozen=True, slots=True)
class Report:
    body: bytes
    content_type: str


def archive_extension(data: bytes) -> str:
    """`zip`, `tar.gz` or `tar`, by the bytes (never by a name the client chose)."""
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    raise UnsupportedUploadError("the upload is not a zip, tar or tar.gz archive")


def accept_upload(
    store: ObjectStore, records: AnalysisRepository, bucket: str, data: bytes,
    project_id: str | None = None,
) -> AnalysisRecord:  # fmt: skip
    """Store the archive under uploads/ and record its analysis (QUEUED)."""
    if not data:
        raise EmptyUploadError("the upload is empty")
    key = f"uploads/{uuid.uuid4()}.{archive_extension(data)}"
    stamp = {UPLOADED_AT: datetime.now(UTC).isoformat()}
    info = store.put(key, data, content_type="application/octet-stream", metadata=stamp)
    new = NewAnalysis(bucket, key, info.etag.strip('"'), info.version_id, project_id)
    record, _created = records.create_if_absent(new)
    return record


def get_analysis(records: AnalysisRepository, analysis_id: str) -> AnalysisRecord:
    record = records.get(analysis_id)
    if record is None:
        raise AnalysisNotFoundError(analysis_id)
    return record


def read_report(
    store: ObjectStore, records: AnalysisRepository, analysis_id: str, fmt: str
) -> Report:
    """The report of a SUCCEEDED analysis in `fmt` (json, sarif, md, html)."""
    record = get_analysis(records, analysis_id)
    if record.status is not AnalysisStatus.SUCCEEDED:
        raise ReportNotReadyError(f"analysis {analysis_id} is {record.status.value}")
    key = record.report_keys.get(fmt)
    if key is None:
        raise ReportNotFoundError(f"analysis {analysis_id} has no {fmt} report")
    try:
        body = store.get(key)
    except KeyError:
        raise ReportNotFoundError(f"the {fmt} report of {analysis_id} is gone") from None
    return Report(body, REPORT_CONTENT_TYPES[fmt])
