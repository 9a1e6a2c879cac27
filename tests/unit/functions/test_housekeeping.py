"""functions/housekeeping: stale uploads and expired records go, running analyses stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from coderev import bootstrap
from coderev.analyses.model import AnalysisStatus, NewAnalysis
from coderev.analyses.sql_repository import (
    SqlAnalysisRepository,
    create_database_engine,
    database_url,
)
from coderev.service.housekeeping import UPLOADED_AT

BUCKET = "coderev-123456789012-us-east-1"


def test_the_sweep_deletes_stale_uploads_and_expired_records(embedded, invoke, kit) -> None:
    store = bootstrap.object_store()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    # records written 40 days ago: one finished, one still running
    engine = create_database_engine(database_url(None, embedded))
    old_records = SqlAnalysisRepository(engine, clock=lambda: long_ago)
    old_records.create_tables()
    done = store.put("uploads/done.zip", b"PK\x03\x04done")
    finished, _ = old_records.create_if_absent(NewAnalysis(BUCKET, "uploads/done.zip", done.etag))
    old_records.update_status(finished.id, AnalysisStatus.FAILED, error="X", cause="y")
    busy = store.put("uploads/busy.zip", b"PK\x03\x04busy")
    running, _ = old_records.create_if_absent(NewAnalysis(BUCKET, "uploads/busy.zip", busy.etag))
    old_records.update_status(running.id, AnalysisStatus.RUNNING)
    old_records.close()
    # uploads no record names: one stamped long ago, one fresh, one of unknown age
    store.put("uploads/orphan.zip", b"PK", metadata={UPLOADED_AT: long_ago.isoformat()})
    store.put("uploads/fresh.zip", b"PK", metadata={UPLOADED_AT: datetime.now(UTC).isoformat()})
    store.put("uploads/unknown.zip", b"PK")

    counts = invoke("housekeeping", kit.sample("housekeeping.json"))

    left = sorted(info.key for info in store.list("uploads/"))
    assert left == ["uploads/busy.zip", "uploads/fresh.zip", "uploads/unknown.zip"]
    assert counts["uploads_deleted"] == 2
    assert counts["uploads_kept"] == 3
    assert counts["records_deleted"] == 1
    records = bootstrap.analysis_repository()
    assert records.get(finished.id) is None
    assert records.get(running.id) is not None
