"""The port of the audit room: where the audit trail is kept.

`SqlAuditRepository` (coderev.audit.sql_repository) implements it on SQLite (the embedded
default) and on PostgreSQL; one contract suite runs against both.
"""

from __future__ import annotations

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
        self, *, type: str | None = None, subject: str | None = None, limit: int = 100
    ) -> list[AuditEntry]:
        """Newest recorded first, with `recorded_at` set; filtered by type and subject."""
        ...
