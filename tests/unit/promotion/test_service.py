"""Promotion's use cases as a user sees them: a better candidate reaches production through the
policy (a versioned release, the experiment marked, events and audit rows); a refused one is
quarantined with the rules that refused it; decisions are made once per promotion (a redrive
never re-decides); production that moved is never overwritten; rollback restores the
configuration in force before; a past decision re-evaluates to the same answer, or says the
policy changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.unit.promotion.conftest import NOON, World

from coderev.auth.principal import Principal
from coderev.policy.errors import PolicyDeniedError
from coderev.promotion import (
    BaselineNotInForceError,
    ExperimentNotFoundError,
    ExperimentNotPromotableError,
    FreezeWindow,
    NothingToRollBackError,
    ProductionChangedError,
    ReviewConfig,
)
from coderev.promotion.policy import POLICY_VERSION, bundle_hash

APPROVER = Principal("u-approver", "default", frozenset({"approver"}), "user")
VIEWER = Principal("u-viewer", "default", frozenset({"viewer"}), "user")
STRANGER = Principal("u-other", "globex", frozenset({"admin"}), "user")


def run(
    world: World, promotion_id: str, requester: Principal = APPROVER,
    experiment_id: str = "exp-1", **service: object,
) -> tuple[bool, tuple[str, ...]]:  # fmt: skip
    """Compare -> PolicyDecision -> Promote | Quarantine, as the machine chains them."""
    promotion = world.service(**service)
    compared = promotion.compare(promotion_id, experiment_id, requester)
    record = promotion.decide(promotion_id, experiment_id, requester, compared["comparison"],
                              compared["expected_version"])  # fmt: skip
    if record.allow:
        promotion.promote(promotion_id)
    else:
        promotion.quarantine(promotion_id)
    return record.allow, record.reasons


def test_a_better_candidate_is_promoted_with_history_events_and_audit_rows(world: World) -> None:
    world.experiments.add(cost_ceiling=0.05)
    allow, reasons = run(world, "p-1")
    assert allow, reasons
    history = world.repository.history("default", None)
    assert [(r.version, r.kind, r.config.id) for r in history] == [
        (2, "promote", "strict"), (1, "initial", "default")]  # fmt: skip
    assert history[0].promotion_id == "p-1" and history[0].actor == "u-approver"
    assert world.experiments.marks == [("exp-1", "promoted", "u-approver")]
    assert world.topics() == ["coderev.promotion.decided", "coderev.promotion.promoted"]
    audited = world.audit.list()
    assert [e.type for e in audited] == ["coderev.promotion.promoted", "coderev.promotion.decided"]
    assert {e.tenant_id for e in audited} == {"default"}
    assert audited[0].event["actorid"] == "u-approver"
    assert audited[0].event["data"]["version"] == 2


def test_the_decision_record_keeps_inputs_policy_and_answer(world: World) -> None:
    world.experiments.add()
    run(world, "p-1")
    record = world.repository.decision("p-1")
    assert record is not None and record.allow
    assert record.policy.version == POLICY_VERSION
    assert record.policy.bundle_hash == bundle_hash(world.modules)
    assert record.input["comparison"]["n_pairs"] == 60
    assert record.input["experiment"]["plan"]["primary"] == "precision"
    assert record.input["requester"] == {"subject": "u-approver", "tenant": "default",
                                         "roles": ["approver"], "kind": "user"}  # fmt: skip
    assert record.input["now"] == NOON.isoformat()
    assert record.expected_version == 0


def test_a_worse_candidate_is_quarantined_with_the_rule_and_production_untouched(
    world: World,
) -> None:
    world.experiments.add(better=False)
    allow, reasons = run(world, "p-1")
    assert not allow and reasons == ("primary_not_better:precision",)
    [entry] = world.repository.quarantined("default")
    assert entry.reasons == reasons and entry.config == ReviewConfig("strict", 2)
    assert world.repository.history("default", None) == []
    assert world.experiments.marks == [("exp-1", "quarantined", "u-approver")]
    assert world.topics() == ["coderev.promotion.decided", "coderev.promotion.quarantined"]
    assert world.audit.list()[0].event["data"]["reasons"] == ["primary_not_better:precision"]


def test_a_viewer_in_a_freeze_window_over_the_cost_ceiling_is_refused_for_each(
    world: World,
) -> None:
    world.experiments.add(cost=0.2, cost_ceiling=0.1)
    window = FreezeWindow("release-week", NOON - timedelta(hours=1), NOON + timedelta(days=1))
    allow, reasons = run(world, "p-1", VIEWER, freeze_windows=[window])
    assert not allow
    assert reasons == ("cost_ceiling_exceeded", "freeze_window:release-week",
                       "requester_not_approver")  # fmt: skip


def test_the_default_cost_ceiling_applies_when_the_plan_sets_none(world: World) -> None:
    world.experiments.add(cost=0.2)
    assert run(world, "p-1", default_cost_ceiling=0.1) == (False, ("cost_ceiling_exceeded",))


def test_too_few_observations_are_refused_on_samples(world: World) -> None:
    world.experiments.add(n=1)
    allow, reasons = run(world, "p-1")
    assert not allow and "min_samples_not_reached" in reasons


def test_another_tenants_experiment_is_not_found(world: World) -> None:
    world.experiments.add()
    with pytest.raises(ExperimentNotFoundError):
        world.service().compare("p-1", "exp-1", STRANGER)


def test_a_draft_experiment_cannot_be_promoted(world: World) -> None:
    world.experiments.add(status="draft")
    with pytest.raises(ExperimentNotPromotableError, match="draft"):
        world.service().compare("p-1", "exp-1", APPROVER)


def test_a_redriven_promotion_reuses_its_decision_and_writes_once(world: World) -> None:
    world.experiments.add()
    promotion = world.service()
    compared = promotion.compare("p-1", "exp-1", APPROVER)
    first = promotion.decide("p-1", "exp-1", APPROVER, compared["comparison"], 0)
    released = promotion.promote("p-1")
    # the redrive comes later, inside a freeze window, after the experiment was marked
    world.clock.now = NOON + timedelta(days=3)
    window = FreezeWindow("later", NOON + timedelta(days=2), NOON + timedelta(days=4))
    again = world.service(freeze_windows=[window])
    compared = again.compare("p-1", "exp-1", APPROVER)
    assert again.decide("p-1", "exp-1", APPROVER, compared["comparison"], 0) == first
    assert again.promote("p-1") == released
    assert [r.version for r in world.repository.history("default", None)] == [2, 1]
    assert [e.type for e in world.audit.list()] == ["coderev.promotion.promoted",
                                                    "coderev.promotion.decided"]  # fmt: skip


def test_production_that_moved_is_never_overwritten(world: World) -> None:
    world.experiments.add("exp-1")
    world.experiments.add("exp-2")
    promotion = world.service()
    one = promotion.compare("p-1", "exp-1", APPROVER)
    two = promotion.compare("p-2", "exp-2", APPROVER)
    promotion.decide("p-1", "exp-1", APPROVER, one["comparison"], one["expected_version"])
    promotion.decide("p-2", "exp-2", APPROVER, two["comparison"], two["expected_version"])
    promotion.promote("p-1")
    with pytest.raises(ProductionChangedError, match="changed since this was decided"):
        promotion.promote("p-2")
    # and a new promotion of it is refused up front: its baseline is not in force any more
    with pytest.raises(BaselineNotInForceError, match="production is strict v2"):
        promotion.compare("p-3", "exp-2", APPROVER)


def test_rollback_restores_the_configuration_in_force_before(world: World) -> None:
    world.experiments.add()
    promotion = world.service()
    with pytest.raises(NothingToRollBackError):
        promotion.rollback(APPROVER)
    run(world, "p-1")
    with pytest.raises(PolicyDeniedError):
        promotion.rollback(VIEWER)
    back = promotion.rollback(APPROVER, reason="noisy comments")
    assert (back.version, back.kind, back.config.id, back.previous_version) == (
        3, "rollback", "default", 2)  # fmt: skip
    assert back.reason == "noisy comments"
    current = world.repository.current("default", None)
    assert current is not None and current.config == ReviewConfig("default", 1)
    forth = promotion.rollback(APPROVER)  # the one in force before the rollback
    assert (forth.version, forth.config.id) == (4, "strict")
    assert world.topics()[-2:] == ["coderev.production.rolled_back"] * 2
    assert world.audit.list()[0].event["data"]["restored_version"] == 2


def test_a_past_decision_is_explained_and_re_evaluated(world: World) -> None:
    world.experiments.add()
    run(world, "p-1")
    explanation = world.service().explain("p-1")
    assert explanation.same_answer and explanation.same_policy
    # a stricter policy later: the same input is refused now, and the change is visible
    stricter = dict(world.modules)
    stricter["promotion.rego"] = stricter["promotion.rego"].replace(
        'object.get(plan, "min_samples", 0)', "1000"
    )
    from coderev.adapters.regopy_policy import RegoPolicyEngine

    later = world.service(engine=RegoPolicyEngine(stricter), policy_modules=stricter)
    explanation = later.explain("p-1")
    assert not explanation.same_policy and not explanation.same_answer
    assert explanation.record.allow and not explanation.allow_now
    assert explanation.reasons_now == ("min_samples_not_reached",)
