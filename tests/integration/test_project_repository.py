"""The ProjectRepository contract and the tenant-bounded analysis queries, run against SQLite
(embedded) and the real PostgreSQL (a schema of each test's own), and the audit trail's
append-only triggers on both: whatever the query, one tenant never reaches another's rows,
and no statement can change or remove an audit entry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from tests.integration.conftest import SqlBackend, SteppingClock, migrated

from coderev.analyses import NewAnalysis
from coderev.analyses.model import AnalysisQuery, Ownership
from coderev.analyses.sql_repository import SqlAnalysisRepository
from coderev.audit import AuditEntry
from coderev.audit.sql_repository import SqlAuditRepository
from coderev.domain.events import cloud_event
from coderev.projects.errors import ProjectNameTakenError, ProjectNotFoundError
from coderev.projects.model import NewProject, ProjectSettings, Role
from coderev.projects.sql_repository import SqlProjectRepository

pytestmark = pytest.mark.integration


@pytest.fixture
def projects(sql_backend: SqlBackend, clock: SteppingClock) -> SqlProjectRepository:
    return migrated(SqlProjectRepository, sql_backend, clock)


def test_the_default_project_owns_the_adopted_records(projects: SqlProjectRepository) -> None:
    default = projects.get("default", "default")
    assert default is not None and default.name == "default"
    assert projects.get("acme", "default") is None


def test_projects_live_in_their_tenant_only(projects: SqlProjectRepository) -> None:
    settings = ProjectSettings("new-high", ("docs/*",), {"root_packages": ["shop"]})
    shop = projects.create(NewProject("acme", "shop", "alice", "d", settings))
    assert projects.get("acme", shop.id) == shop
    assert projects.by_name("acme", "shop") == shop
    assert projects.get("evil", shop.id) is None and projects.by_name("evil", "shop") is None
    with pytest.raises(ProjectNotFoundError):
        projects.update("evil", shop.id, description="defaced")
    with pytest.raises(ProjectNotFoundError):
        projects.soft_delete("evil", shop.id)
    with pytest.raises(ProjectNotFoundError):
        projects.put_member("evil", shop.id, "mallory", Role.ADMIN, "mallory")
    assert projects.page("evil") == ([], None)
    assert projects.create(NewProject("evil", "shop", "m")).tenant == "evil"  # names per tenant
    with pytest.raises(ProjectNameTakenError):
        projects.create(NewProject("acme", "shop", "bob"))
    assert projects.get("acme", shop.id) == shop  # unchanged by all of the above


def test_soft_delete_frees_the_name_and_keeps_the_row(projects: SqlProjectRepository) -> None:
    shop = projects.create(NewProject("acme", "shop", "alice"))
    projects.put_member("acme", shop.id, "victor", Role.VIEWER, "alice")
    deleted = projects.soft_delete("acme", shop.id)
    assert deleted.deleted and projects.get("acme", shop.id) is None
    assert projects.get("acme", shop.id, deleted=True) == deleted
    again = projects.create(NewProject("acme", "shop", "alice"))
    assert again.id != shop.id and projects.by_name("acme", "shop") == again
    with pytest.raises(ProjectNameTakenError):
        projects.update("acme", projects.create(NewProject("acme", "web", "a")).id, name="shop")


def test_members_and_pages(projects: SqlProjectRepository) -> None:
    shop = projects.create(NewProject("acme", "shop", "alice"))
    projects.put_member("acme", shop.id, "victor", Role.VIEWER, "alice")
    projects.put_member("acme", shop.id, "victor", Role.MAINTAINER, "alice")
    [member] = projects.members("acme", shop.id)
    assert (member.subject, member.role, member.added_by) == ("victor", Role.MAINTAINER, "alice")
    assert projects.member("evil", shop.id, "victor") is None
    assert projects.remove_member("evil", shop.id, "victor") is False
    assert projects.remove_member("acme", shop.id, "victor") is True
    for name in ("b", "c", "d"):
        projects.create(NewProject("acme", name, "alice"))
    first, cursor = projects.page("acme", limit=2)
    rest, last = projects.page("acme", after=cursor, limit=10)
    assert [p.name for p in first + rest] == ["b", "c", "d", "shop"] and last is None


def test_analysis_queries_are_bounded_to_one_tenant(
    sql_backend: SqlBackend, clock: SteppingClock
) -> None:
    records = migrated(SqlAnalysisRepository, sql_backend, clock)
    mine = [records.create_if_absent(NewAnalysis("b", f"uploads/{i}.zip", f"e{i}", None, "p",
                                                 "acme", Ownership(label=f"v{i % 2}")))[0]
            for i in range(5)]  # fmt: skip
    theirs, _ = records.create_if_absent(NewAnalysis("b", "uploads/x.zip", "x", None, "p", "evil"))
    records.reserve(NewAnalysis("b", "uploads/r.zip", "", None, "p", "acme"))
    assert records.find("acme", theirs.id) is None and records.find("evil", theirs.id) == theirs
    seen, cursor = [], None
    while True:
        page = records.page(AnalysisQuery("acme", project_id="p", status=None, after=cursor,
                                          limit=2, label=None))  # fmt: skip
        seen += page.records
        if (cursor := page.next_cursor) is None:
            break
    assert {r.id for r in seen} >= {r.id for r in mine} and theirs.id not in {r.id for r in seen}
    assert len(seen) == 6  # five uploads and the reservation, each once
    labelled = records.page(AnalysisQuery("acme", label="v1")).records
    assert {r.id for r in labelled} == {mine[1].id, mine[3].id}
    assert records.pending_uploads("acme") == 1 and records.pending_uploads("evil") == 0


def test_the_audit_trail_refuses_update_and_delete(
    sql_backend: SqlBackend, clock: SteppingClock
) -> None:
    audit = migrated(SqlAuditRepository, sql_backend, clock)
    event = cloud_event("coderev.project.created", "/coderev/projects", {"x": 1},
                        subject="project:p", time=datetime(2026, 3, 1, tzinfo=UTC))  # fmt: skip
    event |= {"tenantid": "acme", "actorid": "alice"}
    assert audit.record(AuditEntry.from_cloudevent(event))
    table = "events" if audit.schema is None else f'"{audit.schema}".events'
    statements = [f"UPDATE {table} SET type = 'coderev.x.y'", f"DELETE FROM {table}"]
    if audit.dialect == "postgresql":
        statements.append(f"TRUNCATE {table}")
    for statement in statements:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), audit.engine.begin() as c:
            c.execute(sa.text(statement))
    [kept] = audit.list(tenant_id="acme", actor_id="alice")
    assert kept.type == "coderev.project.created" and kept.actor_id == "alice"
