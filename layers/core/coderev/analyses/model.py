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

__all__ = [
    "AnalysisRecord",
    "AnalysisStatus",
    "NewAnalysis",
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
class NewAnalysis:
    """What ingest knows about an uploaded archive when it records it."""

    bucket: str
    object_key: str
    etag: str
    version_id: str | None = None
    project_id: str | None = None

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
