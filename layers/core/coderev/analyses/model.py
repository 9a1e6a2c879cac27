"""An analysis record: one uploaded archive's way through the analysis state machine.

A record is created by ingest when an archive lands under `uploads/` (once per object
version, or per etag when the bucket is unversioned: the idempotency key), or earlier, when a
presigned upload URL is handed out (reserved: no etag yet; the first version uploaded to its
key claims it, see `AnalysisRepository.reserve`), moves QUEUED →
RUNNING → SUCCEEDED or FAILED as the state machine's steps run, and keeps the keys of the
reports finalize wrote. Transitions are checked where the status is written, atomically, so a
late retry of an earlier step can never move a finished analysis back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from coderev.domain.errors import InputError

DEFAULT_TENANT = "default"
"""The tenant of records made without one (before tenants existed; an archive dropped into
the bucket by hand): migration 0006 adopted the older ones into it."""

__all__ = [
    "DEFAULT_TENANT",
    "AnalysisPage",
    "AnalysisQuery",
    "AnalysisRecord",
    "AnalysisStatus",
    "InvalidCursorError",
    "NewAnalysis",
    "Ownership",
    "idempotency_key",
    "reservation_key",
]


class AnalysisStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def terminal(self) -> bool:
        return self in (AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED)

    def predecessors(self) -> frozenset[AnalysisStatus]:
        """The statuses a record may be in to be moved to this one.

        Each status may be written again (a retried step repeats its write); nothing leaves a
        terminal status, and SUCCEEDED is reached only from RUNNING.
        """
        return _PREDECESSORS[self]


_PREDECESSORS = {
    AnalysisStatus.QUEUED: frozenset({AnalysisStatus.QUEUED}),
    AnalysisStatus.RUNNING: frozenset({AnalysisStatus.QUEUED, AnalysisStatus.RUNNING}),
    AnalysisStatus.SUCCEEDED: frozenset({AnalysisStatus.RUNNING, AnalysisStatus.SUCCEEDED}),
    AnalysisStatus.FAILED: frozenset(
        {AnalysisStatus.QUEUED, AnalysisStatus.RUNNING, AnalysisStatus.FAILED}
    ),
}


def idempotency_key(bucket: str, object_key: str, version_id: str | None, etag: str) -> str:
    """One uploaded object: its version when the bucket keeps versions, else its etag.

    A SHA-256 hex digest, so the unique index stays small whatever the key's length.
    """
    revision = f"version:{version_id}" if version_id else f"etag:{etag.strip(chr(34))}"
    return hashlib.sha256(f"{bucket}\0{object_key}\0{revision}".encode()).hexdigest()


def reservation_key(bucket: str, object_key: str) -> str:
    """The idempotency key of an analysis reserved before its object exists (a presigned
    upload): distinct from every uploaded version's, so no notification can find it by key."""
    return hashlib.sha256(f"{bucket}\0{object_key}\0reserved".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Ownership:
    """What an upload through a project records besides its object: the version of the code
    it holds (ref, commit, label), who uploaded it (the principal's subject), and the
    baseline analysis it is compared with (the project's, when the upload was made)."""

    ref: str | None = None
    commit: str | None = None
    label: str | None = None
    uploaded_by: str | None = None
    baseline_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewAnalysis:
    """What ingest knows about an uploaded archive when it records it."""

    bucket: str
    object_key: str
    etag: str
    version_id: str | None = None
    project_id: str | None = None
    tenant_id: str = DEFAULT_TENANT
    owner: Ownership | None = None  # the version it holds, who uploaded it, its baseline

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.bucket, self.object_key, self.version_id, self.etag)


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    id: str
    idempotency_key: str
    bucket: str
    object_key: str
    etag: str
    version_id: str | None
    status: AnalysisStatus
    created_at: datetime  # timezone-aware, UTC
    updated_at: datetime
    project_id: str | None = None
    tenant_id: str = DEFAULT_TENANT
    owner: Ownership = field(default_factory=Ownership, hash=False)
    execution_id: str | None = None  # the state machine execution running it
    error: str | None = None  # the error name of a FAILED analysis (e.g. CorruptArchiveError)
    cause: str | None = None  # its cause, as the state machine's Catch reported it
    report_keys: dict[str, str] = field(default_factory=dict, hash=False)  # format -> key
    counts: dict[str, int] = field(default_factory=dict, hash=False)  # findings, files, ...

    @property
    def awaiting_upload(self) -> bool:
        """Reserved for a presigned upload that has not arrived yet: QUEUED, no etag known (a
        reservation that expired unused is FAILED, and no longer awaits anything)."""
        return self.status is AnalysisStatus.QUEUED and not self.etag

    @property
    def source_name(self) -> str:
        """The archive's file name: what the report names as its source."""
        return self.object_key.rpartition("/")[2]


class InvalidCursorError(InputError):
    """A page cursor that this API did not hand out (or that was altered)."""


@dataclass(frozen=True, slots=True)
class AnalysisQuery:
    """One page of a tenant's analyses, newest first: filters, the cursor of the previous
    page's last record (`after`), and the page size."""

    tenant_id: str
    project_id: str | None = None
    status: AnalysisStatus | None = None
    ref: str | None = None
    commit: str | None = None
    label: str | None = None
    uploaded_by: str | None = None
    created_after: datetime | None = None  # inclusive
    created_before: datetime | None = None  # exclusive
    after: str | None = None  # a cursor (`AnalysisPage.next_cursor`)
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AnalysisPage:
    records: list[AnalysisRecord]
    next_cursor: str | None  # None: this is the last page


def encode_cursor(record: AnalysisRecord) -> str:
    """An opaque cursor after `record`: its creation time and id (the page order's key)."""
    import base64
    import json

    raw = json.dumps([record.created_at.isoformat(), record.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    import base64
    import binascii
    import json

    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, record_id = json.loads(raw)
        moment = datetime.fromisoformat(created)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError("the cursor is not one this API handed out") from None
    if moment.tzinfo is None or not isinstance(record_id, str) or len(record_id) > 64:
        raise InvalidCursorError("the cursor is not one this API handed out")
    return moment, record_id
