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
from coderev.migrations import create_tables
from coderev.service.housekeeping import UPLOADED_AT

BUCKET = "coderev-123456789012-us-east-1"


def test_the_sweep_deletes_stale_uploads_and_expired_records(embedded, invoke, kit) -> None:
    store = bootstrap.object_store()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    # records written 40 days ago: one finished, one still running
    engine = create_database_engine(database_url(None, embedded))
    old_records = SqlAnalysisRepository(engine, clock=lambda: long_ago)
    create_tables(old_records)
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


def test_an_upload_with_several_analyses_goes_once_all_finished(embedded, invoke, kit) -> None:
    """A late upload gets an analysis besides its failed reservation: both count."""
    store = bootstrap.object_store()
    engine = create_database_engine(database_url(None, embedded))
    for key, status in (("uploads/busy/shop.zip", AnalysisStatus.RUNNING),
                        ("uploads/done/shop.zip", AnalysisStatus.SUCCEEDED)):  # fmt: skip
        reserved_then = SqlAnalysisRepository(
            engine, clock=lambda: datetime.now(UTC) - timedelta(days=41)
        )
        create_tables(reserved_then)
        reserved = reserved_then.reserve(NewAnalysis(BUCKET, key, ""))
        reserved_then.update_status(reserved.id, AnalysisStatus.FAILED, error="UploadNotReceived")
        uploaded_then = SqlAnalysisRepository(
            engine, clock=lambda: datetime.now(UTC) - timedelta(days=40)
        )
        info = store.put(key, b"PK\x03\x04")
        late, _ = uploaded_then.create_if_absent(NewAnalysis(BUCKET, key, info.etag))
        uploaded_then.update_status(late.id, AnalysisStatus.RUNNING)
        if status is AnalysisStatus.SUCCEEDED:
            report = store.put(f"reports/{late.id}/report.json", b"{}")
            uploaded_then.update_status(late.id, status, report_keys={"json": report.key})
    engine.dispose()

    counts = invoke("housekeeping", kit.sample("housekeeping.json"))

    assert [info.key for info in store.list("uploads/")] == ["uploads/busy/shop.zip"]
    assert (counts["uploads_deleted"], counts["uploads_kept"]) == (1, 1)
    assert counts["reports_deleted"] == 1 and list(store.list("reports/")) == []
    assert counts["records_deleted"] == 3  # two failed reservations, one finished analysis


def test_work_files_and_graphs_of_ended_or_vanished_analyses_go(embedded, invoke, kit) -> None:
    """A failed analysis' work files go at once; a graph goes once its record is gone."""
    from coderev.adapters.embedded.graph_store import SqliteGraphStore
    from coderev.config import get_settings
    from coderev.ports import GraphEdge, GraphNode

    store = bootstrap.object_store()
    engine = create_database_engine(database_url(None, embedded))
    old = SqlAnalysisRepository(engine, clock=lambda: datetime.now(UTC) - timedelta(days=40))
    create_tables(old)
    ids = {}
    for name, status in (("failed", AnalysisStatus.RUNNING), ("running", AnalysisStatus.RUNNING),
                         ("expired", AnalysisStatus.SUCCEEDED)):  # fmt: skip
        upload = store.put(f"uploads/{name}.zip", b"PK")
        record, _ = old.create_if_absent(NewAnalysis(BUCKET, f"uploads/{name}.zip", upload.etag))
        old.update_status(record.id, AnalysisStatus.RUNNING)
        if status is not AnalysisStatus.RUNNING:
            old.update_status(record.id, status)
        ids[name] = record.id
        store.put(f"work/{record.id}/index.json", b"{}")
    old.close()
    failed_now = bootstrap.analysis_repository()  # updated just now: within retention
    failed_now.update_status(ids["failed"], AnalysisStatus.FAILED, error="X", cause="y")
    store.put("work/no-such-analysis/shard-0.json", b"{}")
    graphs = SqliteGraphStore(get_settings().data_dir / "graph.sqlite")
    for graph_id in (*ids.values(), "no-such-analysis"):
        graphs.write(graph_id, [GraphNode("m", "Module", {})], [GraphEdge("m", "m", "IMPORTS", {})])

    counts = invoke("housekeeping", kit.sample("housekeeping.json"))

    assert sorted(info.key for info in store.list("work/")) == [f"work/{ids['running']}/index.json"]
    assert counts["work_files_deleted"] == 3
    assert sorted(graphs.graph_ids()) == sorted([ids["failed"], ids["running"]])
    assert counts["graphs_deleted"] == 2  # the expired analysis' and the unnamed one
    graphs.close()
