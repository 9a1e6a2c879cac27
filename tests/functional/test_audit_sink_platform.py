"""`coderev serve` with zero services: the analyses' domain events reach audit_sink through the
embedded bus (its SelfManagedKafka triggers in template.yaml) and end in the audit trail,
one entry per event: coderev.analysis.completed for a review that succeeded,
coderev.analysis.failed for one that failed. `coderev review --via platform` (the same
platform, stopped as soon as the analysis ended) records its completed event too."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.functional.conftest import SAMPLE, Server, coderev, sample_archive, start_server

from coderev.analyses.sql_repository import database_url
from coderev.audit.model import AuditEntry
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.migrations import open_repository


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = start_server(tmp_path_factory.mktemp("audit") / "data")
    yield running
    running.stop()


def audited(server: Server, event_id: str, timeout: float = 30) -> list[AuditEntry]:
    """The audit trail's entries with `event_id`, once there is one (or the timeout)."""
    repository = open_repository(SqlAuditRepository, database_url(None, server.data_dir))
    deadline = time.monotonic() + timeout
    while True:
        found = [entry for entry in repository.list(limit=1000) if entry.event_id == event_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_serve_runs_the_audit_sinks_kafka_triggers(served: Server) -> None:
    text = "\n".join(served.lines)
    assert "kafka:AuditSinkFunction.AnalysisCompleted" in text
    assert "kafka:AuditSinkFunction.AnalysisFailed" in text


def test_a_completed_analysis_leaves_its_event_in_the_audit_trail(served: Server) -> None:
    record = served.analyse(sample_archive())
    assert record["status"] == "SUCCEEDED", record
    [entry] = audited(served, f"{record['id']}:completed")
    assert entry.type == "coderev.analysis.completed"
    assert entry.source == "/coderev/analysis"
    assert entry.analysis_id == entry.subject == record["id"]
    assert entry.event["data"]["status"] == "SUCCEEDED"
    assert set(entry.event["data"]["report_keys"]) >= {"json", "sarif"}
    assert entry.recorded_at is not None


def test_a_failed_analysis_leaves_its_failure_event_in_the_audit_trail(served: Server) -> None:
    record = served.analyse(sample_archive(config="[tool.coderev]\nno_such_key = 1\n"))
    assert record["status"] == "FAILED", record
    [entry] = audited(served, f"{record['id']}:failed")
    assert entry.type == "coderev.analysis.failed"
    assert entry.event["data"]["error"] == "ConfigError"


def test_a_review_via_the_platform_is_audited_before_the_platform_stops(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = coderev("review", SAMPLE, "--via", "platform", "--keep", "--out", out, "-q", out=out)
    assert run.code == 0, run.stderr
    data_dir = tmp_path / "data" / "coderev"  # the functional runs' XDG_DATA_HOME/coderev
    repository = open_repository(SqlAuditRepository, database_url(None, data_dir))
    [entry] = repository.list(type="coderev.analysis.completed")
    assert entry.event["data"]["status"] == "SUCCEEDED"
    assert entry.analysis_id and entry.event_id == f"{entry.analysis_id}:completed"


def test_serve_stops_cleanly_with_the_consumers_running(served: Server) -> None:
    assert served.stop() == 0
