"""The audit trail: every CloudEvent the platform publishes, kept whole and searchable.

- `model`: AuditEntry and `AuditEntry.from_cloudevent`, which checks a CloudEvents 1.0 event.
- `repository`: the AuditRepository port.
- `sql_repository`: its SQLAlchemy implementation (table `audits.events`) on SQLite or
  PostgreSQL. Not imported here, so importing the room costs no SQLAlchemy import.
"""

from __future__ import annotations

from coderev.audit.errors import AuditError, AuditStoreError, InvalidCloudEventError
from coderev.audit.model import AuditEntry
from coderev.audit.repository import AuditRepository

__all__ = [
    "AuditEntry",
    "AuditError",
    "AuditRepository",
    "AuditStoreError",
    "InvalidCloudEventError",
]
