"""Uploads over HTTP and what an analysis looks like from outside: status and reports.

Two ways to hand in an archive, both recorded at once so the caller gets the analysis id in
the response and follows one URL, `/analyses/{id}`, whichever way it uploaded:

- `accept_upload` (the archive in the request body, up to API Gateway's 10 MB) puts it under
  `uploads/` and records the analysis for that object version right away: the same
  `create_if_absent` ingest calls when the notification arrives, so both find one record.
- `presign_upload` (any size: the client PUTs the archive straight to the object store)
  reserves the analysis for the key before the object exists (`AnalysisRepository.reserve`)
  and returns a presigned PUT URL. The first version uploaded to the key claims the
  reservation when ingest records it (inside `create_if_absent`, so ingest is unchanged and
  stays idempotent per object version). Why reserve rather than return the key and let the
  client look the analysis up by it later: the client gets the id, the status URL and a
  status ("awaiting upload") at once, exactly as with a direct upload, instead of polling a
  search until a record appears, and a lost upload shows as such on its own record.

Keys: `uploads/<uuid>/<filename>` when the client names its file (made safe by
`safe_filename`), so the report names the client's file as its source; otherwise
`uploads/<uuid>.<ext>` for a direct upload (the extension from the bytes, as before) and
`uploads/<uuid>` for a presigned one (the archive's kind is read from its bytes at ingest).

`rerun_analysis` starts a FAILED analysis again: its archive is copied (`ObjectStore.copy`,
S3's CopyObject: no byte passes through the function) to a new key, with
the same request metadata and a `coderev-rerun-of` naming the old id, and recorded as any
direct upload is (ingest runs on the copy's notification). A copy rather than a second
record of the same object version: ingest stays idempotent per object version, and the old
analysis keeps its record, failure and all.

What the client asks of the analysis besides the archive (baseline, gate, exclusions: see
`coderev.pipeline.request`) travels as the object's `coderev-request` metadata; a baseline is
named by the id of an earlier analysis, whose report.json it must have.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coderev.analyses.errors import AnalysisNotFoundError
from coderev.analyses.model import (
    DEFAULT_TENANT,
    AnalysisRecord,
    AnalysisStatus,
    NewAnalysis,
    Ownership,
)
from coderev.analyses.repository import AnalysisRepository
from coderev.ports import ObjectInfo, ObjectStore, PresignedDownload, PresignedUpload
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

if TYPE_CHECKING:
    from coderev.pipeline.request import ReviewRequest

__all__ = [
    "MAX_FILENAME_BYTES",
    "REPORT_CONTENT_TYPES",
    "RERUN_OF",
    "PresignedAnalysis",
    "Report",
    "accept_upload",
    "baseline_key",
    "get_analysis",
    "presign_upload",
    "read_report",
    "record_uploaded",
    "report_download",
    "rerun_analysis",
    "review_request",
    "safe_filename",
    "upload_key",
]

REPORT_CONTENT_TYPES = {
    "json": "application/json",
    "sarif": "application/sarif+json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
MAX_FILENAME_BYTES = 128
_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x1f\x8b", "tar.gz"))
_UNSAFE = re.compile(r"[^\w.+@()-]+")  # \w is Unicode: letters and digits of any script
_DOTS = re.compile(r"\.{2,}")
_SUFFIX = re.compile(r"(\.[A-Za-z0-9]{1,8}){1,2}$")  # .zip, .tar.gz: kept when capping


@dataclass(frozen=True, slots=True)
class Report:
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class PresignedAnalysis:
    """A reserved analysis and the URL its archive is to be PUT to."""

    record: AnalysisRecord
    upload: PresignedUpload


def archive_extension(data: bytes) -> str:
    """`zip`, `tar.gz` or `tar`, by the bytes (never by a name the client chose)."""
    for magic, extension in _MAGIC:
        if data.startswith(magic):
            return extension
    if len(data) > 262 and data[257:262] == b"ustar":
        return "tar"
    raise UnsupportedUploadError("the upload is not a zip, tar or tar.gz archive")


def safe_filename(name: str | None) -> str | None:
    """A client's file name made safe for one key segment; None when none was given.

    The last path component only (`/` and `\\` both separate), NFC-normalized; runs of other
    characters than letters, digits and `._-+@()` become `_`, runs of dots one dot, leading
    and trailing dots go (so never `.`, `..` or a hidden name); capped at
    MAX_FILENAME_BYTES UTF-8 bytes, keeping the extension. Nothing left: InvalidFilenameError.
    """
    if name is None or not name.strip():
        return None
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rpartition("/")[2])
    base = _DOTS.sub(".", _UNSAFE.sub("_", base)).strip(".")
    if not base.strip("_"):
        raise InvalidFilenameError(f"the file name {name[:80]!r} has nothing usable in it")
    if len(base.encode("utf-8")) > MAX_FILENAME_BYTES:
        suffix_match = _SUFFIX.search(base)
        suffix = suffix_match.group(0) if suffix_match else ""
        room = MAX_FILENAME_BYTES - len(suffix.encode("utf-8"))
        stem = base[: len(base) - len(suffix)].encode("utf-8")[:room].decode("utf-8", "ignore")
        base = stem.rstrip(".") + suffix
    return base


def upload_key(filename: str | None, data: bytes | None = None) -> str:
    """`uploads/<uuid>/<filename>`; without a name `uploads/<uuid>.<ext>` (ext from `data`),
    or `uploads/<uuid>` when there are no bytes yet (a presigned upload)."""
    upload_id = uuid.uuid4()
    name = safe_filename(filename)
    if name is not None:
        return f"uploads/{upload_id}/{name}"
    if data is None:
        return f"uploads/{upload_id}"
    return f"uploads/{upload_id}.{archive_extension(data)}"


def review_request(
    records: AnalysisRepository,
    *,
    tenant_id: str | None = None,
    project_id: str | None = None,
    baseline: str | None = None,
    fail_on: str | None = None,
    exclude: Sequence[str] = (),
    allow_unsupported_contracts: bool = False,
    lint_config: str | None = None,
    reviewer: str | None = None,
) -> ReviewRequest:
    """The analysis request an HTTP client asked for; `baseline` is an analysis id, of the
    tenant `tenant_id` (and of the project `project_id`, when given): another tenant's
    analysis is as unknown as one that does not exist.

    RequestError (a malformed gate or glob), BaselineUnavailableError (no such analysis, or
    it has no report.json).
    """
    from coderev.pipeline.request import ReviewRequest

    asked = (baseline, fail_on, lint_config, reviewer) != (None, None, None, None)
    if not asked and not exclude and not allow_unsupported_contracts:
        return ReviewRequest()  # nothing asked: no parse (the gate check imports coderev.review)
    document: dict[str, object] = {"exclude": list(exclude)}
    if allow_unsupported_contracts:
        document["allow_unsupported_contracts"] = True
    if lint_config is not None:
        document["lint_config"] = lint_config
    if fail_on is not None:
        document["fail_on"] = fail_on
    if reviewer is not None:
        document["reviewer"] = reviewer
    if baseline is not None:
        document["baseline_key"] = baseline_key(records, baseline, tenant_id, project_id)
    return ReviewRequest.parse(document)


def baseline_key(
    records: AnalysisRepository, analysis_id: str, tenant_id: str | None = None,
    project_id: str | None = None,
) -> str:  # fmt: skip
    """The report.json key of the baseline analysis `analysis_id` (of the tenant, and the
    project, when given); BaselineUnavailableError when it is unknown there or unfinished."""
    record = records.get(analysis_id) if tenant_id is None else records.find(tenant_id, analysis_id)
    if record is not None and project_id is not None and record.project_id != project_id:
        record = None
    if record is None:
        raise BaselineUnavailableError(f"baseline analysis {analysis_id} does not exist")
    key = record.report_keys.get("json")
    if record.status is not AnalysisStatus.SUCCEEDED or key is None:
        raise BaselineUnavailableError(
            f"baseline analysis {analysis_id} is {record.status.value} and has no report.json"
        )
    return key


def _metadata(request: ReviewRequest | None, extra: Mapping[str, str]) -> dict[str, str]:
    from coderev.pipeline.request import MAX_METADATA_BYTES, RequestError

    metadata = dict(extra) | (request.to_metadata() if request is not None else {})
    size = sum(len(name) + len(value) for name, value in metadata.items())
    if size > MAX_METADATA_BYTES:
        raise RequestError(
            f"the analysis request takes {size} bytes of object metadata, over S3's "
            f"{MAX_METADATA_BYTES}: exclude fewer paths or put them in the archive's config"
        )
    return metadata


def accept_upload(
    store: ObjectStore, records: AnalysisRepository, bucket: str, data: bytes,
    project_id: str | None = None, *, filename: str | None = None,
    request: ReviewRequest | None = None, tenant_id: str = DEFAULT_TENANT,
    owner: Ownership | None = None,
) -> AnalysisRecord:  # fmt: skip
    """Store the archive under uploads/ (with `request` as its metadata) and record its
    analysis (QUEUED)."""
    if not data:
        raise EmptyUploadError("the upload is empty")
    from coderev.service.housekeeping import UPLOADED_AT

    archive_extension(data)  # refuse what is no archive before storing anything
    key = upload_key(filename, data)
    metadata = _metadata(request, {UPLOADED_AT: datetime.now(UTC).isoformat()})
    info = store.put(key, data, content_type="application/octet-stream", metadata=metadata)
    new = NewAnalysis(bucket, key, info.etag.strip('"'), info.version_id, project_id,
                      tenant_id, owner)  # fmt: skip
    record, _created = records.create_if_absent(new)
    return record


def presign_upload(
    store: ObjectStore, records: AnalysisRepository, bucket: str, *, expires_in: int,
    project_id: str | None = None, filename: str | None = None,
    request: ReviewRequest | None = None, tenant_id: str = DEFAULT_TENANT,
    owner: Ownership | None = None, max_pending: int | None = None,
) -> PresignedAnalysis:  # fmt: skip
    """Reserve an analysis and presign the PUT of its archive (see the module docstring).

    `max_pending`: how many reservations the tenant may hold unused at once
    (TooManyPendingUploadsError beyond): each is a row and a URL until it expires.
    """
    if max_pending is not None and records.pending_uploads(tenant_id) >= max_pending:
        from coderev.projects.errors import TooManyPendingUploadsError

        raise TooManyPendingUploadsError(max_pending)
    key = upload_key(filename)
    upload = store.presign_put(key, expires_in=expires_in, metadata=_metadata(request, {}))
    record = records.reserve(NewAnalysis(bucket, key, "", None, project_id, tenant_id, owner))
    return PresignedAnalysis(record, upload)


RERUN_OF = "coderev-rerun-of"  # object metadata: the id of the analysis a rerun repeats


def rerun_analysis(
    store: ObjectStore, records: AnalysisRepository, bucket: str, analysis_id: str,
    tenant_id: str | None = None, uploaded_by: str | None = None,
) -> AnalysisRecord:  # fmt: skip
    """A new analysis (QUEUED) of the archive FAILED analysis `analysis_id` read.

    AnalysisNotFoundError; AnalysisNotRerunnableError unless it is FAILED; UploadGoneError
    when its archive never arrived, was swept, or was replaced by a later upload to its key.
    """
    from coderev.service.housekeeping import UPLOADED_AT

    old = get_analysis(records, analysis_id, tenant_id)
    if old.status is not AnalysisStatus.FAILED:
        raise AnalysisNotRerunnableError(
            f"analysis {analysis_id} is {old.status.value}: only a FAILED analysis is rerun"
        )
    gone = UploadGoneError(
        f"the archive of analysis {analysis_id} is no longer stored as it was analysed: "
        "upload it again"
    )
    info = store.head(old.object_key) if old.etag else None
    if info is None or info.etag.strip('"') != old.etag:
        raise gone
    key = f"uploads/{uuid.uuid4()}/{old.source_name}"
    stamp = {UPLOADED_AT: datetime.now(UTC).isoformat(), RERUN_OF: analysis_id}
    try:
        copied = store.copy(old.object_key, key, metadata=dict(info.metadata) | stamp)
    except KeyError:
        raise gone from None
    if copied.etag.strip('"') != old.etag:  # replaced between the check and the copy
        store.delete(key)
        raise gone
    owner = replace(old.owner, uploaded_by=uploaded_by or old.owner.uploaded_by)
    new = NewAnalysis(bucket, key, copied.etag.strip('"'), copied.version_id, old.project_id,
                      old.tenant_id, owner)  # fmt: skip
    record, _created = records.create_if_absent(new)
    return record


def record_uploaded(records: AnalysisRepository, bucket: str, info: ObjectInfo) -> AnalysisRecord:
    """The analysis of an object just stored under uploads/ (by a presigned PUT): the record
    ingest finds for it too (the same idempotent `create_if_absent`; a first upload claims
    the analysis reserved for its key, a re-upload gets a new one)."""
    new = NewAnalysis(bucket, info.key, info.etag.strip('"'), info.version_id)
    record, _created = records.create_if_absent(new)
    return record


def get_analysis(
    records: AnalysisRepository, analysis_id: str, tenant_id: str | None = None
) -> AnalysisRecord:
    """The analysis `analysis_id`; of the tenant `tenant_id` only, when given (what every
    HTTP route gives: another tenant's analysis is not found). None is the pipeline's own
    reading, by an id it was handed."""
    record = records.get(analysis_id) if tenant_id is None else records.find(tenant_id, analysis_id)
    if record is None:
        raise AnalysisNotFoundError(analysis_id)
    return record


def _report_key(
    records: AnalysisRepository, analysis_id: str, fmt: str, tenant_id: str | None = None
) -> str:
    record = get_analysis(records, analysis_id, tenant_id)
    if record.status is not AnalysisStatus.SUCCEEDED:
        raise ReportNotReadyError(
            f"analysis {analysis_id} is {record.status.value}: it has no reports yet"
        )
    key = record.report_keys.get(fmt)
    if key is None:
        raise ReportNotFoundError(f"analysis {analysis_id} has no {fmt} report")
    return key


def report_download(
    store: ObjectStore, records: AnalysisRepository, analysis_id: str, fmt: str, *,
    expires_in: int, tenant_id: str | None = None,
) -> PresignedDownload:  # fmt: skip
    """A presigned download URL of the report of a SUCCEEDED analysis in `fmt`: how a report
    of any size reaches the client (a Lambda response holds 6 MB at most)."""
    key = _report_key(records, analysis_id, fmt, tenant_id)
    try:
        return store.presign_get(key, expires_in=expires_in,
                                 content_type=REPORT_CONTENT_TYPES[fmt])  # fmt: skip
    except KeyError:
        raise ReportNotFoundError(f"the {fmt} report of {analysis_id} is gone") from None


def read_report(
    store: ObjectStore, records: AnalysisRepository, analysis_id: str, fmt: str,
    tenant_id: str | None = None,
) -> Report:  # fmt: skip
    """The report of a SUCCEEDED analysis in `fmt` (json, sarif, md, html)."""
    key = _report_key(records, analysis_id, fmt, tenant_id)
    try:
        body = store.get(key)
    except KeyError:
        raise ReportNotFoundError(f"the {fmt} report of {analysis_id} is gone") from None
    return Report(body, REPORT_CONTENT_TYPES[fmt])
