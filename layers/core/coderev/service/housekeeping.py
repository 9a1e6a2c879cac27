"""Housekeeping (replaces Celery beat): delete stale uploads and expired records.

- An upload is stale once older than `upload_hours` and either no analysis names it or its
  analysis finished (SUCCEEDED or FAILED): a running analysis keeps its archive.
- Analysis records in a terminal status not updated for `retention_days` are deleted, and
  their reports with them.
- Expired idempotency records are deleted when the store keeps them (SQLite has no TTL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.ports import ObjectStore

__all__ = ["UPLOADED_AT", "SweepCounts", "sweep"]

_TERMINAL = (AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED)
_PAGE = 500
UPLOADED_AT = "uploaded-at"  # object metadata: ISO 8601 UTC time of an HTTP upload


@dataclass(frozen=True, slots=True)
class SweepCounts:
    uploads_deleted: int
    reports_deleted: int
    records_deleted: int
    uploads_kept: int
    idempotency_deleted: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "uploads_deleted": self.uploads_deleted,
            "reports_deleted": self.reports_deleted,
            "records_deleted": self.records_deleted,
            "uploads_kept": self.uploads_kept,
            "idempotency_deleted": self.idempotency_deleted,
        }


def sweep(
    store: ObjectStore,
    records: AnalysisRepository,
    *,
    upload_hours: float = 24.0,
    retention_days: float = 30.0,
    now: datetime | None = None,
    upload_time: Callable[[str], datetime | None] | None = None,
    idempotency: object | None = None,
) -> SweepCounts:
    """One sweep; see the module docstring. `upload_time(key)` tells when an upload arrived
    (the object store port has no timestamps): by default the created_at of its record, else
    the `uploaded-at` metadata accept_upload writes; an upload of unknown age is kept.
    `idempotency`: an idempotency store; its expired records are deleted when it keeps them
    (SQLite: `delete_expired`; Redis expires them itself)."""
    moment = now or datetime.now(UTC)
    upload_cutoff = moment - timedelta(hours=upload_hours)
    record_cutoff = moment - timedelta(days=retention_days)
    by_key = {r.object_key: r for r in _all_records(records)}
    deleted = kept = 0
    for info in list(store.list("uploads/")):
        record = by_key.get(info.key)
        created = (upload_time or _arrival(store, record))(info.key)
        old = created is not None and created < upload_cutoff
        if old and (record is None or record.status in _TERMINAL):
            store.delete(info.key)
            deleted += 1
        else:
            kept += 1
    reports = 0
    for record in by_key.values():
        if record.status in _TERMINAL and record.updated_at < record_cutoff:
            for key in record.report_keys.values():
                store.delete(key)
                reports += 1
    expired = records.delete_older_than(record_cutoff, statuses=_TERMINAL)
    delete_expired = getattr(idempotency, "delete_expired", None)
    idempotency_deleted = int(delete_expired(moment.timestamp())) if delete_expired else 0
    return SweepCounts(deleted, reports, expired, kept, idempotency_deleted)


def _arrival(store: ObjectStore, record: AnalysisRecord | None) -> Callable[[str], datetime | None]:
    def arrival(key: str) -> datetime | None:
        if record is not None:
            return record.created_at
        info = store.head(key)
        stamp = info.metadata.get(UPLOADED_AT) if info is not None else None
        try:
            return datetime.fromisoformat(stamp) if stamp else None
        except ValueError:
            return None

    return arrival


def _all_records(records: AnalysisRepository) -> list[AnalysisRecord]:
    found: list[AnalysisRecord] = []
    before: datetime | None = None
    while True:
        page = records.list(created_before=before, limit=_PAGE)
        found.extend(page)
        if len(page) < _PAGE:
            return found
        before = page[-1].created_at
