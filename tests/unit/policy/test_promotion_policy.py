"""The promotion policy (promotion.rego), each rule on both engines: regopy and OPA's Go engine
must agree exactly. A passing input is allowed with every rule named; breaking one rule at a
time refuses with exactly that rule's reason; several broken rules are all named."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from coderev.auth.principal import Principal
from coderev.policy import AUTHZ_PATH, authz_input, policy_modules
from coderev.ports import Decision, PolicyEngine
from coderev.promotion.policy import POLICY_PATH, POLICY_VERSION, bundle_hash

PASSED = ("cost_within_ceiling", "guards_exclude_regression", "min_samples_reached",
          "outside_freeze_windows", "primary_better", "requester_is_approver")  # fmt: skip
HOUR = 3600 * 10**9


def metric(n: int = 60, ci: tuple[float, float] = (0.0, 0.0), *, higher: bool = False,
           candidate: float = 0.0, significant: bool = False, direction: str = "none",
           margin: float = 0.0) -> dict[str, Any]:  # fmt: skip
    return {"n": n, "ci": list(ci), "higher_is_better": higher, "candidate": candidate,
            "significant": significant, "direction": direction, "margin": margin}  # fmt: skip


def passing() -> dict[str, Any]:
    return {
        "requester": {"subject": "u-1", "tenant": "acme", "roles": ["approver"], "kind": "user"},
        "experiment": {"id": "exp-1", "tenant": "acme", "plan": {
            "primary": "precision", "guards": ["cost_usd", "failed"], "min_samples": 30,
            "cost_metric": "cost_usd", "cost_ceiling": 0.05, "guard_margins": {}}},
        "comparison": {"n_pairs": 60, "metrics": {
            "precision": metric(ci=(0.1, 0.3), higher=True, candidate=0.7, significant=True,
                                direction="better"),
            "cost_usd": metric(ci=(-0.002, 0.0), candidate=0.01),
            "failed": metric()}},
        "now_ns": 100 * HOUR,
        "freeze_windows": [{"name": "release-week", "start_ns": 200 * HOUR, "end_ns": 300 * HOUR}],
    }  # fmt: skip


def both(engines: dict[str, PolicyEngine], document: dict[str, Any]) -> Decision:
    regopy, opa = (engines[name].decide(POLICY_PATH, document) for name in ("regopy", "opa"))
    assert regopy == opa, f"engines disagree: regopy {regopy}, OPA {opa}"
    assert regopy.action == "promotions:promote"
    return regopy


def test_a_candidate_meeting_every_rule_is_allowed_naming_them(
    engines: dict[str, PolicyEngine],
) -> None:
    assert both(engines, passing()) == Decision(True, PASSED, "promotions:promote")


def _set(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = out
    for key in parents:
        target = target[key]
    target[last] = value
    return out


BROKEN = [
    # 1. minimum samples: too few pairs, or too few on the primary metric
    ("comparison.n_pairs", 29, "min_samples_not_reached"),
    ("comparison.metrics.precision.n", 12, "min_samples_not_reached"),
    # 2. the primary metric significantly better
    ("comparison.metrics.precision.significant", False, "primary_not_better:precision"),
    ("comparison.metrics.precision.direction", "worse", "primary_not_better:precision"),
    # 3. every guard's CI excludes a regression beyond its margin
    ("comparison.metrics.cost_usd.ci", [-0.001, 0.004], "guard_regression_not_excluded:cost_usd"),
    ("comparison.metrics.failed.ci", [0.0, 0.05], "guard_regression_not_excluded:failed"),
    ("comparison.metrics.failed", None, "guard_regression_not_excluded:failed"),
    # 4. the cost ceiling
    ("comparison.metrics.cost_usd.candidate", 0.06, "cost_ceiling_exceeded"),
    ("comparison.metrics.cost_usd.candidate", None, "cost_unknown"),
    # 5. the requester an approver (or admin) of the experiment's tenant
    ("requester.roles", ["maintainer", "viewer"], "requester_not_approver"),
    ("requester.tenant", "globex", "tenant_mismatch"),
    # 6. no freeze window
    ("now_ns", 250 * HOUR, "freeze_window:release-week"),
]


@pytest.mark.parametrize(("path", "value", "reason"), BROKEN,
                         ids=[f"{p}={v}" for p, v, _ in BROKEN])  # fmt: skip
def test_each_rule_refuses_alone(engines: dict[str, PolicyEngine], path: str, value: Any,
                                 reason: str) -> None:  # fmt: skip
    decision = both(engines, _set(passing(), path, value))
    assert decision == Decision(False, (reason,), "promotions:promote")


def test_every_broken_rule_is_named(engines: dict[str, PolicyEngine]) -> None:
    document = passing()
    for path, value, _ in (BROKEN[0], BROKEN[2], BROKEN[4], BROKEN[7], BROKEN[9], BROKEN[11]):
        document = _set(document, path, value)
    decision = both(engines, document)
    assert not decision.allow
    assert decision.reasons == (
        "cost_ceiling_exceeded", "freeze_window:release-week",
        "guard_regression_not_excluded:cost_usd", "min_samples_not_reached",
        "primary_not_better:precision", "requester_not_approver",
    )  # fmt: skip


@pytest.mark.parametrize(("document", "allow"), [
    # a guard margin tolerates a small regression (non-inferiority), from the plan or the
    # comparison; the worse end of the interval touching the margin still passes
    (_set(_set(passing(), "comparison.metrics.cost_usd.ci", [-0.001, 0.004]),
          "experiment.plan.guard_margins", {"cost_usd": 0.005}), True),
    (_set(passing(), "comparison.metrics.failed", metric(ci=(0.0, 0.02), margin=0.02)), True),
    (_set(passing(), "comparison.metrics.failed", metric(ci=(0.0, 0.021), margin=0.02)), False),
    # higher-is-better guards: the low end is the worse one
    (_set(passing(), "comparison.metrics.failed", metric(ci=(-0.01, 0.2), higher=True)), False),
    (_set(passing(), "comparison.metrics.failed", metric(ci=(0.0, 0.2), higher=True)), True),
    # no ceiling in the plan: any cost
    (_set(_set(passing(), "experiment.plan.cost_ceiling", None),
          "comparison.metrics.cost_usd.candidate", 9.0), True),
    # admins may approve; the window's end is open
    (_set(passing(), "requester.roles", ["admin"]), True),
    (_set(passing(), "now_ns", 300 * HOUR), True),
    (_set(passing(), "now_ns", 200 * HOUR), False),
])  # fmt: skip
def test_margins_ceilings_roles_and_window_edges(
    engines: dict[str, PolicyEngine], document: dict[str, Any], allow: bool
) -> None:
    assert both(engines, document).allow is allow


@pytest.mark.parametrize("document", [{}, {"requester": {}}, {"comparison": "x"}])
def test_no_comparison_is_a_refusal(engines: dict[str, PolicyEngine],
                                    document: dict[str, Any]) -> None:  # fmt: skip
    assert both(engines, document) == Decision(False, ("no_input",), "promotions:promote")


def test_a_missing_clock_refuses(engines: dict[str, PolicyEngine]) -> None:
    document = passing()
    del document["now_ns"]
    assert both(engines, document).reasons == ("no_time",)


def test_the_recorded_version_is_the_policys_own() -> None:
    source = policy_modules()["promotion.rego"]
    assert re.search(r'^version := "([^"]+)"$', source, re.M)[1] == POLICY_VERSION  # type: ignore[index]
    assert len(bundle_hash(policy_modules())) == 64
    assert bundle_hash(policy_modules()) != bundle_hash({**policy_modules(), "x.rego": "package x"})


@pytest.mark.parametrize(("action", "allowed"), [
    ("promotions:create", True), ("promotions:read", True), ("production:read", True),
    ("production:rollback", True), ("analyses:read", True), ("projects:update", False),
    ("providers:write", False), ("comparisons:run", False),
])  # fmt: skip
def test_the_approver_role_grants_promotions_and_reading(
    engines: dict[str, PolicyEngine], action: str, allowed: bool
) -> None:
    approver = Principal("u-2", "acme", frozenset({"approver"}), "user")
    document = authz_input(approver, action=action)
    regopy, opa = (engines[name].decide(AUTHZ_PATH, document) for name in ("regopy", "opa"))
    assert regopy == opa
    assert regopy.allow is allowed
    for role in ("maintainer", "reviewer", "viewer"):
        other = Principal("u-3", "acme", frozenset({role}), "user")
        assert not engines["regopy"].decide(AUTHZ_PATH, authz_input(
            other, action="production:rollback")).allow  # fmt: skip
