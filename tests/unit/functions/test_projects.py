"""functions/projects and a project's analyses (functions/analyses) over API Gateway events,
with the principal the authorizer would put in `requestContext.authorizer`: projects, their
settings, members and baseline; uploads held to the project's settings and compared with its
baseline; lists with filters and cursor pages; tenant isolation (tenant B guessing tenant A's
ids learns nothing); roles (a viewer cannot write, nothing changes); bounded reservations;
the audit trail of every mutation, for admins only; and the trail is append-only."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa

from coderev import bootstrap
from coderev.analyses.model import AnalysisStatus
from coderev.auth.principal import Principal
from coderev.pipeline.request import ReviewRequest

ALICE = Principal("alice", "acme", frozenset({"admin"}), "user")
MAINTAINER = Principal("mona", "acme", frozenset({"maintainer"}), "user")
VIEWER = Principal("victor", "acme", frozenset({"viewer"}), "user")
CI = Principal("ci-key", "acme", frozenset({"reviewer"}), "api_key")
MALLORY = Principal("mallory", "evil", frozenset({"admin"}), "user")


def call(invoke: Any, function: str, method: str, path: str, who: Principal | None,
         body: Any = None, query: dict[str, Any] | None = None, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, Any]]:  # fmt: skip
    """One request through the handler; (status, JSON body, response)."""
    multi = {k: [str(i) for i in (v if isinstance(v, list) else [v])]
             for k, v in (query or {}).items()}  # fmt: skip
    event: dict[str, Any] = {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Host": "api.test", **(headers or {})},
        "multiValueHeaders": {k: [v] for k, v in {"Host": "api.test", **(headers or {})}.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"requestId": f"req-{method}-{path}", "stage": "v1",
                           "httpMethod": method, "path": path,
                           **({"authorizer": who.to_context()} if who else {})},
        "body": None, "isBase64Encoded": False,
    }  # fmt: skip
    if raw is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    elif body is not None:
        event["body"] = json.dumps(body)
    response = invoke(function, event)
    text = response.get("body") or "null"
    return response["statusCode"], json.loads(text), response


def project(invoke: Any, who: Principal, name: str, **extra: Any) -> dict[str, Any]:
    status, body, _ = call(invoke, "projects", "POST", "/projects", who, {"name": name, **extra})
    assert status == 201, body
    return dict(body)


def upload(invoke: Any, kit: Any, who: Principal, project_ref: str,
           **query: Any) -> tuple[int, Any]:  # fmt: skip
    status, body, _ = call(invoke, "analyses", "POST", f"/projects/{project_ref}/analyses", who,
                           raw=kit.zip_archive(kit.shop), query=query)  # fmt: skip
    return status, body


def succeed(analysis_id: str, report: dict[str, Any] | None = None) -> None:
    """Finish an analysis as Finalize would, with a report.json."""
    key = f"reports/{analysis_id}/report.json"
    bootstrap.object_store().put(key, json.dumps(report or {"summary": {"gate": None}}).encode())
    records = bootstrap.analysis_repository()
    records.update_status(analysis_id, AnalysisStatus.RUNNING)
    records.update_status(analysis_id, AnalysisStatus.SUCCEEDED, report_keys={"json": key})


def events_of(type_: str) -> list[dict[str, Any]]:
    bus: Any = bootstrap.event_bus()
    return [record.event for record in bus.records(type_)]


@pytest.fixture
def acme(embedded: Any, invoke: Any) -> dict[str, Any]:
    return project(invoke, ALICE, "shop", description="the shop",
                   settings={"fail_on": "new-high", "ignore_paths": ["docs/*"]})  # fmt: skip


def test_create_list_get_update_and_soft_delete(acme: dict[str, Any], invoke: Any) -> None:
    assert acme["settings"] == {"fail_on": "new-high", "ignore_paths": ["docs/*"],
                                "contracts": None}  # fmt: skip
    assert acme["created_by"] == "alice"
    project(invoke, ALICE, "web")
    status, page, _ = call(invoke, "projects", "GET", "/projects", VIEWER, query={"limit": 1})
    assert status == 200 and [p["name"] for p in page["projects"]] == ["shop"]
    status, rest, _ = call(invoke, "projects", "GET", "/projects", VIEWER,
                           query={"cursor": page["next_cursor"]})  # fmt: skip
    assert [p["name"] for p in rest["projects"]] == ["web"] and rest["next_cursor"] is None

    status, by_name, _ = call(invoke, "projects", "GET", "/projects/shop", VIEWER)
    assert (status, by_name["id"], by_name["role"]) == (200, acme["id"], "viewer")
    status, renamed, _ = call(invoke, "projects", "PATCH", f"/projects/{acme['id']}", MAINTAINER,
                              {"name": "store"})  # fmt: skip
    assert (status, renamed["name"]) == (200, "store")
    status, clash, _ = call(invoke, "projects", "POST", "/projects", ALICE, {"name": "web"})
    assert (status, clash["error"]) == (409, "ProjectNameTakenError")

    status, deleted, _ = call(invoke, "projects", "DELETE", "/projects/store", ALICE)
    assert status == 200 and deleted["deleted_at"] is not None
    assert call(invoke, "projects", "GET", f"/projects/{acme['id']}", ALICE)[0] == 404
    assert project(invoke, ALICE, "store")["id"] != acme["id"]  # the name is free again
    kept = bootstrap.project_repository().get("acme", acme["id"], deleted=True)
    assert kept is not None and kept.deleted


def test_a_viewer_cannot_write_and_nothing_changes(acme: dict[str, Any], invoke: Any) -> None:
    writes = [
        ("POST", "/projects", {"name": "mine"}),
        ("PATCH", "/projects/shop", {"description": "defaced"}),
        ("PUT", "/projects/shop/settings", {"fail_on": "none"}),
        ("PUT", "/projects/shop/members/victor", {"role": "admin"}),
        ("DELETE", "/projects/shop", None),
    ]
    for method, path, body in writes:
        status, answer, _ = call(invoke, "projects", method, path, VIEWER, body)
        assert (status, answer["error"]) == (403, "AccessDeniedError"), (method, path)
    status, answer = upload(invoke, kit_of(invoke), VIEWER, "shop")
    assert status == 403
    status, same, _ = call(invoke, "projects", "GET", "/projects/shop", ALICE)
    assert same["description"] == "the shop" and same["settings"]["fail_on"] == "new-high"
    assert bootstrap.project_repository().members("acme", acme["id"]) == []
    assert bootstrap.analysis_repository().list(project_id=acme["id"]) == []
    denied = events_of("coderev.access.denied")
    assert len(denied) == len(writes) + 1
    assert {e["actorid"] for e in denied} == {"victor"}
    assert all(e["data"]["outcome"] == "denied" and e["tenantid"] == "acme" for e in denied)


def kit_of(_invoke: Any) -> Any:
    from types import SimpleNamespace

    from tests.unit.functions.conftest import SHOP, zip_archive

    return SimpleNamespace(zip_archive=zip_archive, shop=dict(SHOP))


def test_a_member_role_counts_on_its_project_only(acme: dict[str, Any], invoke: Any) -> None:
    project(invoke, ALICE, "web")
    status, member, _ = call(invoke, "projects", "PUT", "/projects/shop/members/victor",
                             MAINTAINER, {"role": "maintainer"})  # fmt: skip
    assert (status, member["role"]) == (200, "maintainer")
    status, _too_high, _ = call(invoke, "projects", "PUT", "/projects/shop/members/victor",
                               MAINTAINER, {"role": "admin"})  # fmt: skip
    assert status == 403  # nobody grants above their own role
    ok = call(invoke, "projects", "PUT", "/projects/shop/settings", VIEWER, {"fail_on": "high"})
    assert ok[0] == 200 and ok[1]["settings"]["fail_on"] == "high"
    assert call(invoke, "projects", "PUT", "/projects/web/settings", VIEWER, {})[0] == 403
    status, listed, _ = call(invoke, "projects", "GET", "/projects/shop/members", VIEWER)
    assert [m["subject"] for m in listed["members"]] == ["victor"]
    assert call(invoke, "projects", "DELETE", "/projects/shop/members/victor", ALICE)[0] == 204
    assert call(invoke, "projects", "PUT", "/projects/shop/settings", VIEWER, {})[0] == 403


def test_another_tenant_learns_nothing_by_guessing_ids(
    acme: dict[str, Any], invoke: Any, kit: Any
) -> None:
    status, accepted = upload(invoke, kit, ALICE, "shop")
    assert status == 202, accepted
    analysis_id = accepted["id"]
    succeed(analysis_id)
    pid = acme["id"]
    guesses = [
        ("projects", "GET", f"/projects/{pid}"), ("projects", "GET", "/projects/shop"),
        ("projects", "GET", f"/projects/{pid}/members"),
        ("projects", "DELETE", f"/projects/{pid}"),
        ("analyses", "GET", f"/projects/{pid}/analyses"),
        ("analyses", "GET", f"/projects/{pid}/analyses/{analysis_id}"),
        ("analyses", "GET", f"/projects/{pid}/analyses/{analysis_id}/drift"),
        ("analyses", "GET", f"/analyses/{analysis_id}"),
        ("analyses", "GET", f"/analyses/{analysis_id}/report/json"),
        ("analyses", "POST", f"/analyses/{analysis_id}/rerun"),
    ]  # fmt: skip
    for function, method, path in guesses:
        status, answer, _ = call(invoke, function, method, path, MALLORY)
        assert status == 404, (method, path, answer)
    assert call(invoke, "projects", "GET", "/projects", MALLORY)[1]["projects"] == []
    # nor can tenant A's analysis be tenant B's baseline (it would copy A's architecture)
    project(invoke, MALLORY, "loot")
    status, answer = upload(invoke, kit, MALLORY, "loot", baseline=analysis_id)
    assert (status, answer["error"]) == (422, "BaselineUnavailableError")
    status, answer, _ = call(invoke, "analyses", "POST", "/analyses/uploads", MALLORY,
                             query={"baseline": analysis_id})  # fmt: skip
    assert status == 422
    status, answer, _ = call(invoke, "projects", "PUT", "/projects/loot/baseline", MALLORY,
                             {"analysis_id": analysis_id})  # fmt: skip
    assert status == 422
    assert bootstrap.analysis_repository().find("evil", analysis_id) is None


def test_an_upload_is_held_to_the_project_and_compared_with_its_baseline(
    acme: dict[str, Any], invoke: Any, kit: Any
) -> None:
    _, first = upload(invoke, kit, CI, "shop", ref="refs/heads/main", commit="a1", label="v1")
    assert first["status_url"] == f"/projects/{acme['id']}/analyses/{first['id']}"
    succeed(first["id"])
    status, marked, _ = call(invoke, "projects", "PUT", "/projects/shop/baseline", MAINTAINER,
                             {"analysis_id": first["id"]})  # fmt: skip
    assert (status, marked["baseline_id"]) == (200, first["id"])

    status, second = upload(invoke, kit, CI, "shop", commit="b2", exclude="tests/*")
    assert status == 202, second
    record = bootstrap.analysis_repository().get(second["id"])
    assert record is not None and record.tenant_id == "acme"
    assert (record.owner.commit, record.owner.uploaded_by) == ("b2", "ci-key")
    assert record.owner.baseline_id == first["id"]
    metadata = bootstrap.object_store().head(record.object_key)
    assert metadata is not None
    request = ReviewRequest.from_metadata(metadata.metadata)
    assert request.baseline_key == f"reports/{first['id']}/report.json"
    assert (request.fail_on, request.exclude) == ("new-high", ("docs/*", "tests/*"))

    status, view, _ = call(invoke, "analyses", "GET", second["status_url"], VIEWER)
    assert (status, view["commit"], view["baseline_id"]) == (200, "b2", first["id"])
    # only a SUCCEEDED analysis of this project can be the baseline
    status, _answer, _ = call(invoke, "projects", "PUT", "/projects/shop/baseline", ALICE,
                             {"analysis_id": second["id"]})  # fmt: skip
    assert status == 422


def test_drift_says_what_the_gate_decided_and_what_changed(
    acme: dict[str, Any], invoke: Any, kit: Any
) -> None:
    _, accepted = upload(invoke, kit, CI, "shop")
    path = f"/projects/shop/analyses/{accepted['id']}/drift"
    assert call(invoke, "analyses", "GET", path, VIEWER)[0] == 409  # not finished
    gate = {"spec": "new-high", "passed": False, "reasons": ["1 new high finding"], "roles": []}
    drift = {"findings": {"new": 1, "existing": 2, "fixed": []}, "architecture": None}
    succeed(accepted["id"], {"summary": {"gate": gate}, "drift": drift})
    status, view, _ = call(invoke, "analyses", "GET", path, VIEWER)
    assert status == 200
    assert (view["gate"], view["drift"]) == (gate, drift)


def test_lists_filter_and_page_without_gaps_or_repeats(
    acme: dict[str, Any], invoke: Any, kit: Any
) -> None:
    made = [upload(invoke, kit, CI, "shop", label=f"v{i % 2}")[1]["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        status, page, _ = call(invoke, "analyses", "GET", "/projects/shop/analyses", VIEWER,
                               query=query)  # fmt: skip
        assert status == 200 and len(page["analyses"]) <= 2
        seen += [a["id"] for a in page["analyses"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made) and len(seen) == 5
    _, v1, _ = call(invoke, "analyses", "GET", "/projects/shop/analyses", VIEWER,
                    query={"label": "v1"})  # fmt: skip
    assert {a["id"] for a in v1["analyses"]} == {made[1], made[3]}
    status, answer, _ = call(invoke, "analyses", "GET", "/projects/shop/analyses", VIEWER,
                             query={"cursor": "bm90IGEgY3Vyc29y"})  # fmt: skip
    assert (status, answer["error"]) == (400, "InvalidCursorError")


def test_presigned_reservations_are_bounded_per_tenant(
    acme: dict[str, Any], invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODEREV_MAX_PENDING_UPLOADS", "3")
    bootstrap.reset()
    path = "/projects/shop/analyses/uploads"
    for _ in range(3):
        assert call(invoke, "analyses", "POST", path, CI)[0] == 201
    status, answer, response = call(invoke, "analyses", "POST", path, CI)
    assert (status, answer["error"]) == (429, "TooManyPendingUploadsError")
    assert int(response["multiValueHeaders"]["Retry-After"][0]) > 0
    project(invoke, MALLORY, "loot")  # another tenant's are its own
    assert call(invoke, "analyses", "POST", "/projects/loot/analyses/uploads", MALLORY)[0] == 201


@pytest.mark.parametrize("name", ["x'; DROP TABLE projects; --", 'a" OR 1=1', "../etc", "é"])
def test_sql_metacharacters_are_refused_and_change_nothing(
    acme: dict[str, Any], invoke: Any, name: str
) -> None:
    status, answer, _ = call(invoke, "projects", "POST", "/projects", ALICE, {"name": name})
    assert status == 422, answer
    for path in (f"/projects/{name}", f"/projects/shop/members/{name}"):
        assert call(invoke, "projects", "GET", path, ALICE)[0] in (404, 422)
    names = [p.name for p in bootstrap.project_repository().page("acme")[0]]
    assert names == ["shop"]


def test_every_mutation_is_audited_and_admins_read_the_trail(
    acme: dict[str, Any], invoke: Any, kit: Any
) -> None:
    from coderev.audit.model import AuditEntry

    upload(invoke, kit, CI, "shop", commit="c1")
    call(invoke, "projects", "PUT", "/projects/shop/members/victor", ALICE, {"role": "reviewer"})
    call(invoke, "projects", "DELETE", "/projects/shop", VIEWER)  # denied
    audit = bootstrap.audit_repository()
    bus: Any = bootstrap.event_bus()
    for record in bus.recorded:  # what audit_sink does with each event it consumes
        audit.record(AuditEntry.from_cloudevent(record.event))
    created = events_of("coderev.project.created")[0]
    assert created["data"]["actor"] == {"subject": "alice", "kind": "user"}
    assert created["data"]["request_id"] == "req-POST-/projects"
    assert created["subject"] == f"project:{acme['id']}"

    status, trail, _ = call(invoke, "projects", "GET", "/audits", ALICE)
    assert status == 200
    types = [e["type"] for e in trail["entries"]]
    assert types == ["coderev.access.denied", "coderev.project.member_changed",
                     "coderev.analysis.requested", "coderev.project.created"]  # fmt: skip
    assert trail["entries"][2]["actor"] == "ci-key"
    assert trail["entries"][2]["data"]["details"]["commit"] == "c1"
    _, mine, _ = call(invoke, "projects", "GET", "/audits", ALICE, query={"actor": "victor"})
    assert [e["type"] for e in mine["entries"]] == ["coderev.access.denied"]
    assert call(invoke, "projects", "GET", "/audits", MAINTAINER)[0] == 403
    assert call(invoke, "projects", "GET", "/audits", MALLORY)[1]["entries"] == []


def test_the_audit_trail_is_append_only(embedded: Any, invoke: Any) -> None:
    project(invoke, ALICE, "shop")
    from coderev.audit.model import AuditEntry

    audit: Any = bootstrap.audit_repository()
    audit.record(AuditEntry.from_cloudevent(events_of("coderev.project.created")[0]))
    for statement in ("UPDATE events SET type = 'coderev.x.y'", "DELETE FROM events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), audit.engine.begin() as c:
            c.execute(sa.text(statement))
    assert len(audit.list()) == 1


def test_without_an_authorizer_the_local_caller_is_the_local_admin(
    embedded: Any, invoke: Any
) -> None:
    status, made, _ = call(invoke, "projects", "POST", "/projects", None, {"name": "mine"})
    assert (status, made["created_by"]) == (201, "local")
    assert events_of("coderev.project.created")[0]["data"]["actor"]["kind"] == "local"


def test_on_aws_a_route_without_a_principal_is_401(
    embedded: Any, invoke: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    status, answer, _ = call(invoke, "projects", "GET", "/projects", None)
    assert (status, answer["error"]) == (401, "AuthenticationError")
