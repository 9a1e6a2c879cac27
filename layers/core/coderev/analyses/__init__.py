"""Analysis records: what was uploaded, where its state machine run is, where its reports are.

- `model`: AnalysisRecord, AnalysisStatus (and its allowed transitions), NewAnalysis and the
  idempotency key of an uploaded object.
- `repository`: the AnalysisRepository port.
- `sql_repository`: its SQLAlchemy implementation on SQLite (embedded) or PostgreSQL. Not
  imported here, so importing the room costs no SQLAlchemy import.
"""

from __future__ import annotations

from coderev.analyses.errors import (
    AnalysisError,
    AnalysisNotFoundError,
    AnalysisStoreError,
    InvalidTransitionError,
)
from coderev.analyses.model import AnalysisRecord, AnalysisStatus, NewAnalysis, idempotency_key
from coderev.analyses.repository import AnalysisRepository

__all__ = [
    "AnalysisError",
    "AnalysisNotFoundError",
    "AnalysisRecord",
    "AnalysisRepository",
    "AnalysisStatus",
    "AnalysisStoreError",
    "InvalidTransitionError",
    "NewAnalysis",
    "idempotency_key",
]
