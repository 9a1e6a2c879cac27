"""The port of the audit room: where the audit trail is kept.

`SqlAuditRepository` (coderev.audit.sql_repository) implements it on SQLite (the embedded
default) and on PostgreSQL; one contract suite runs against both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from coderev.audit.model import AuditEntry

__all__ = ["AuditRepository"]


class AuditRepository(Protocol):
    def record(self, entry: AuditEntry) -> bool:
        """Keep `entry`; False when an event of its `source` + `event_id` is already kept.

        Recording is idempotent: a redelivered event (same source and id) changes nothing,
        even when two consumers record it at once.
        """
        ...

    def list(
        self, *, type: str | None = None, subject: str | None = None, limit: int = 100,
        tenant_id: str | None = None, actor_id: str | None = None,
        since: datetime | None = None, until: datetime | None = None,
        before: int | None = None,
    ) -> list[AuditEntry]:  # fmt: skip
        """Newest recorded first, with `recorded_at` and `seq` set; filtered by type,
        subject, tenant, actor and recording time (`since` inclusive, `until` exclusive);
        `before`: only entries recorded before the entry of that `seq` (the next page)."""
        ...
