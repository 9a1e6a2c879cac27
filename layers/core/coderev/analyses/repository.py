"""The port of the analyses room: where analysis records are kept.

`SqlAnalysisRepository` (coderev.analyses.sql_repository) implements it on SQLite (the
embedded default) and on PostgreSQL; one contract suite runs against both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Protocol

from coderev.analyses.model import (
    AnalysisPage,
    AnalysisQuery,
    AnalysisRecord,
    AnalysisStatus,
    NewAnalysis,
)

__all__ = ["AnalysisRepository"]


class AnalysisRepository(Protocol):
    def create_if_absent(self, new: NewAnalysis) -> tuple[AnalysisRecord, bool]:
        """The record of this object version (by idempotency key), and whether it is new.

        A new record is QUEUED with a fresh id; concurrent calls for one key create one record.
        A record reserved for this bucket and key (`reserve`), still QUEUED and unclaimed, is
        claimed instead: it takes this version's etag, version id and idempotency key and keeps
        its id (returned as new: this version had no record). Later versions of the key get
        records of their own, as for any overwritten object.
        """
        ...

    def reserve(self, new: NewAnalysis) -> AnalysisRecord:
        """A QUEUED record for an object not uploaded yet (a presigned upload of `new.object_key`),
        so its id can be handed out at once; `new.etag` and `new.version_id` are ignored. The
        first version that arrives claims it through `create_if_absent`."""
        ...

    def release_reservation(self, analysis_id: str) -> bool:
        """Make a reservation unclaimable: once released, an upload of its key gets a record
        of its own. True when the record is (or already was) a released or unclaimed
        reservation, still QUEUED; False when it was claimed, is finished, or does not exist.
        Housekeeping releases a reservation whose URL expired before recording it FAILED, so
        an upload arriving meanwhile cannot be failed with it."""
        ...

    def get(self, analysis_id: str) -> AnalysisRecord | None: ...

    def update_status(
        self,
        analysis_id: str,
        status: AnalysisStatus,
        *,
        error: str | None = None,
        cause: str | None = None,
        execution_id: str | None = None,
        report_keys: Mapping[str, str] | None = None,
        counts: Mapping[str, int] | None = None,
    ) -> AnalysisRecord:
        """Move the record to `status` atomically and return it as stored.

        `error` and `cause` are written as given (None clears them); `execution_id`,
        `report_keys` and `counts` only when given. Raises AnalysisNotFoundError, and
        InvalidTransitionError unless the current status is one of `status.predecessors()`.
        """
        ...

    def list(
        self,
        *,
        status: AnalysisStatus | None = None,
        project_id: str | None = None,
        created_before: datetime | None = None,
        limit: int = 100,
    ) -> list[AnalysisRecord]:
        """Newest first; `created_before` (exclusive) pages through older records."""
        ...

    # A tenant's view (what the HTTP API reads through): every query is bounded to the rows
    # of one tenant, so no request can reach another tenant's analysis, even by its id.

    def find(self, tenant_id: str, analysis_id: str) -> AnalysisRecord | None:
        """The analysis `analysis_id` when it belongs to `tenant_id`; None otherwise."""
        ...

    def page(self, query: AnalysisQuery) -> AnalysisPage:
        """One page of the query's tenant's analyses, newest first (created_at, then id)."""
        ...

    def pending_uploads(self, tenant_id: str) -> int:
        """How many presigned uploads of the tenant still wait for their archive."""
        ...

    def delete_older_than(
        self, cutoff: datetime, *, statuses: Collection[AnalysisStatus] | None = None
    ) -> int:
        """Delete records last updated before `cutoff` (in `statuses`, when given); how many."""
        ...
