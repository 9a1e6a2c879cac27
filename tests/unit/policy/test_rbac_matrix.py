"""The access policy, every role and action, on both engines: the decision is the one the
matrix below states, and regopy and OPA's Go engine agree on it exactly (allow, action and
reasons). Then tenant isolation, API key scopes, malformed principals, and the action of
every route of template.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.auth.principal import Principal
from coderev.policy import AUTHZ_PATH, authz_input
from coderev.ports import Decision, PolicyEngine

ROOT = Path(__file__).resolve().parents[3]

VIEWER = {"analyses:read", "reports:read", "drift:read", "projects:read", "docs:read",
          "self:read", "self:write", "experiments:read", "feedback:read"}  # fmt: skip
REVIEWER = VIEWER | {"analyses:create", "analyses:rerun", "feedback:write"}
MAINTAINER = REVIEWER | {
    "projects:create", "projects:update", "projects:baseline", "projects:members",
    "projects:settings", "versions:write", "api_keys:manage", "routes:preview",
    "comparisons:run",
    "experiments:write",
}  # fmt: skip
ADMIN_ONLY = {"projects:delete", "providers:read", "providers:write", "quotas:check",
              "audits:read", "tenants:write", "unknown:write",
              "experiments:observe"}  # fmt: skip
ACTIONS = sorted(MAINTAINER | ADMIN_ONLY)
GRANTED = {"viewer": VIEWER, "reviewer": REVIEWER, "maintainer": MAINTAINER,
           "admin": set(ACTIONS), "auditor": set()}  # fmt: skip


def principal(*roles: str, tenant: str = "acme", kind: str = "user",
              scopes: frozenset[str] = frozenset()) -> Principal:  # fmt: skip
    return Principal("u-1", tenant, frozenset(roles), kind, scopes)


def both(engines: dict[str, PolicyEngine], document: dict[str, object]) -> Decision:
    """The decision of both engines, which must be the same."""
    regopy, opa = (engines[name].decide(AUTHZ_PATH, document) for name in ("regopy", "opa"))
    assert regopy == opa, f"engines disagree on {document}: regopy {regopy}, OPA {opa}"
    return regopy


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", sorted(GRANTED))
def test_every_role_and_action(engines: dict[str, PolicyEngine], role: str, action: str) -> None:
    decision = both(engines, authz_input(principal(role), action=action))
    assert decision.allow is (action in GRANTED[role])
    assert decision.action == action
    if decision.allow:
        assert decision.reasons == (f"granted_by_role:{role}",)
    else:
        assert decision.reasons == (f"no_role_grants:{action}",)


def test_several_roles_grant_the_union(engines: dict[str, PolicyEngine]) -> None:
    decision = both(engines, authz_input(principal("viewer", "maintainer"),
                                         action="projects:update"))  # fmt: skip
    assert decision == Decision(True, ("granted_by_role:maintainer",), "projects:update")
    decision = both(engines, authz_input(principal("viewer", "reviewer"), action="analyses:read"))
    assert decision.reasons == ("granted_by_role:reviewer", "granted_by_role:viewer")


@pytest.mark.parametrize("role", ["viewer", "reviewer", "maintainer", "admin"])
@pytest.mark.parametrize("action", ["analyses:read", "reports:read", "projects:delete"])
def test_no_role_reaches_another_tenant(engines: dict[str, PolicyEngine], role: str,
                                        action: str) -> None:  # fmt: skip
    own = both(engines, authz_input(principal(role), action=action, resource_tenant="acme"))
    assert own.allow is (action in GRANTED[role])
    other = both(engines, authz_input(principal(role), action=action, resource_tenant="globex"))
    assert not other.allow
    assert "tenant_mismatch" in other.reasons


@pytest.mark.parametrize(("scopes", "action", "allowed"), [
    ({"analyses:create"}, "analyses:create", True),
    ({"analyses:*"}, "analyses:rerun", True),
    ({"*"}, "projects:update", True),
    ({"analyses:read"}, "analyses:create", False),
    (set(), "analyses:read", False),
    ({"analyses:*"}, "projects:read", False),
])  # fmt: skip
def test_api_keys_act_within_their_scopes(engines: dict[str, PolicyEngine], scopes: set[str],
                                          action: str, allowed: bool) -> None:  # fmt: skip
    key = principal("maintainer", kind="api_key", scopes=frozenset(scopes))
    decision = both(engines, authz_input(key, action=action))
    assert decision.allow is allowed
    if not allowed:
        assert decision.reasons == (f"scope_missing:{action}",)


def test_a_scope_grants_nothing_the_role_does_not(engines: dict[str, PolicyEngine]) -> None:
    key = principal("viewer", kind="api_key", scopes=frozenset({"*"}))
    decision = both(engines, authz_input(key, action="analyses:create"))
    assert decision == Decision(False, ("no_role_grants:analyses:create",), "analyses:create")


@pytest.mark.parametrize("document", [
    {"action": "analyses:read"},
    {"principal": {"subject": "", "tenant": "acme", "roles": ["admin"]}, "action": "docs:read"},
    {"principal": {"subject": "u", "roles": ["admin"]}, "action": "docs:read"},
    {"principal": {"subject": "u", "tenant": "", "roles": ["admin"]}, "action": "docs:read"},
    {"principal": {"subject": "u", "tenant": "acme", "roles": "admin"}, "action": "docs:read"},
    {"principal": {"subject": "u", "tenant": "acme", "roles": ["admin"]}},
    {"principal": {"subject": "u", "tenant": "acme", "roles": ["admin"]}, "action": ""},
    {},
])  # fmt: skip
def test_a_malformed_question_is_denied(engines: dict[str, PolicyEngine],
                                        document: dict[str, object]) -> None:  # fmt: skip
    assert not both(engines, document).allow


@pytest.mark.parametrize(("method", "resource", "action"), [
    ("POST", "/analyses", "analyses:create"),
    ("post", "/analyses/uploads", "analyses:create"),
    ("GET", "/analyses/{id}", "analyses:read"),
    ("GET", "/analyses/{id}/report/{format}", "reports:read"),
    ("PUT", "/providers/{name}/key", "providers:write"),
    ("GET", "/nowhere/{x}", "nowhere:read"),
    ("DELETE", "/nowhere/{x}", "nowhere:write"),
])  # fmt: skip
def test_a_route_is_decided_as_its_action(engines: dict[str, PolicyEngine], method: str,
                                          resource: str, action: str) -> None:  # fmt: skip
    decision = both(engines, authz_input(principal("reviewer"), method=method,
                                         resource=resource))  # fmt: skip
    assert decision.action == action
    assert decision.allow is (action in REVIEWER)


def test_every_protected_route_of_the_template_has_an_action(opa_server: object) -> None:
    """A route the policy does not list falls back to `<collection>:<verb>`, which only admins
    hold: a new route must be classified in rego/routes.rego (on purpose, not by default)."""
    from tests.fixtures.opa_server import OpaTestServer

    from coderev.runtime.template import ApiEvent, load_template

    assert isinstance(opa_server, OpaTestServer)
    listed = opa_server.engine.eval_document("coderev.routes.actions")
    template = load_template(ROOT / "template.yaml")
    protected = [
        f"{event.method} {event.path}"
        for _function, event in template.events_of(ApiEvent)
        if event.authorizer
    ]
    assert protected, "no route of template.yaml is behind the authorizer"
    assert sorted(set(protected) - set(listed)) == []
