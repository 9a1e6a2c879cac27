"""Promotion's use cases: the steps of the promotion state machine (Compare, PolicyDecision,
Promote, Quarantine, Notify; state_machines/promotion.asl.json), rollback, and re-evaluating a
past decision.

Every step is idempotent per promotion id, which is what makes a redrive safe (on AWS,
RedriveExecution restarts a failed execution at the state that failed; locally, `coderev promote
--redrive PROMOTION` starts the machine again with the same promotion id):
- the decision is made once: PolicyDecision finds the record it kept and answers it again, so a
  redrive never re-decides under a different clock or policy;
- Promote writes one release per promotion id (the repository finds the one it wrote) and only
  if production is still at the version the comparison was made against;
- Quarantine keeps one entry per promotion id; events have ids derived from the promotion, so
  the audit trail keeps each once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coderev.promotion.errors import (
    BaselineNotInForceError,
    DecisionNotFoundError,
    ExperimentNotFoundError,
    ExperimentNotPromotableError,
    NothingToRollBackError,
)
from coderev.promotion.events import Announcer
from coderev.promotion.model import (
    DecisionRecord,
    ExperimentView,
    FreezeWindow,
    QuarantineEntry,
    Release,
)
from coderev.promotion.policy import POLICY_PATH, decision_input, policy_ref

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.ports import PolicyEngine, StateMachineStarter
    from coderev.promotion.repository import PromotionRepository
    from coderev.promotion.sources import Comparator, ExperimentSource

__all__ = ["PROMOTABLE", "Explanation", "PromotionService"]

PROMOTABLE = ("evaluated",)
"""Experiment states a promotion may start from (the experiments lifecycle's)."""


@dataclass(frozen=True, slots=True)
class Explanation:
    """A past decision re-evaluated: what was decided, what the policy answers now for the
    same input, and whether the policy bundle is still the one that decided."""

    record: DecisionRecord
    allow_now: bool
    reasons_now: tuple[str, ...]
    bundle_hash_now: str

    @property
    def same_answer(self) -> bool:
        return (self.allow_now, self.reasons_now) == (self.record.allow, self.record.reasons)

    @property
    def same_policy(self) -> bool:
        return self.bundle_hash_now == self.record.policy.bundle_hash


class PromotionService:
    def __init__(
        self,
        *,
        experiments: ExperimentSource,
        comparator: Comparator,
        repository: PromotionRepository,
        engine: PolicyEngine,
        policy_modules: Mapping[str, str],
        announcer: Announcer | None = None,
        freeze_windows: Sequence[FreezeWindow] = (),
        default_cost_ceiling: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.experiments = experiments
        self.comparator = comparator
        self.repository = repository
        self.engine = engine
        self.policy_modules = dict(policy_modules)
        self.announcer = announcer or Announcer(None, None)
        self.freeze_windows = tuple(freeze_windows)
        self.default_cost_ceiling = default_cost_ceiling
        self.clock = clock or (lambda: datetime.now(UTC))

    # --- starting -----------------------------------------------------------------------------

    def start(self, requester: Principal, experiment_id: str, starter: StateMachineStarter,
              state_machine: str) -> tuple[str, str]:  # fmt: skip
        """Start the promotion machine for the requester's experiment (not found in another
        tenant; 409 unless evaluated): (the promotion id, the execution ARN)."""
        from coderev.promotion.tasks import new_promotion_id, promotion_input

        experiment = self._experiment(experiment_id, requester)
        if experiment.status not in PROMOTABLE:
            raise ExperimentNotPromotableError(
                f"experiment {experiment_id} is {experiment.status}; a promotion starts from "
                f"{' or '.join(PROMOTABLE)}"
            )
        promotion_id = new_promotion_id()
        execution = starter.start(
            state_machine, promotion_id, promotion_input(promotion_id, experiment_id, requester)
        )
        return promotion_id, execution

    # --- Compare ----------------------------------------------------------------------------

    def compare(
        self, promotion_id: str, experiment_id: str, requester: Principal
    ) -> dict[str, Any]:
        """The comparison of the experiment's arms, and production's version it was made
        against. Refuses an experiment of another tenant (not found), one not running or
        evaluated, and one whose baseline is no longer the configuration in production. A
        promotion that already decided (a redrive) gets back what its decision was made on."""
        experiment = self._experiment(experiment_id, requester)
        kept = self.repository.decision(promotion_id)
        if kept is not None:
            return {"expected_version": kept.expected_version,
                    "comparison": dict(kept.input.get("comparison") or {})}  # fmt: skip
        if experiment.status not in PROMOTABLE:
            raise ExperimentNotPromotableError(
                f"experiment {experiment_id} is {experiment.status}; a promotion starts from "
                f"{' or '.join(PROMOTABLE)}"
            )
        current = self.repository.current(experiment.tenant, experiment.project)
        if current is not None and current.config != experiment.baseline:
            raise BaselineNotInForceError(
                f"experiment {experiment_id} compared against configuration "
                f"{experiment.baseline.id} v{experiment.baseline.version}, but production is "
                f"{current.config.id} v{current.config.version} (version {current.version})"
            )
        pairs = list(self.experiments.pairs(experiment_id))
        plan = experiment.plan
        if len(pairs) < 2:  # nothing to compare: the policy refuses on samples
            comparison: dict[str, Any] = {"schema": "coderev.comparison/v1",
                                          "n_pairs": len(pairs), "metrics": {}}  # fmt: skip
        else:
            request: dict[str, Any] = {
                "primary": plan.primary, "guards": list(plan.guards), "alpha": plan.alpha,
                "min_pairs": max(2, plan.min_samples), "seed": plan.seed, "power": plan.power,
                "metrics": {k: dict(v) for k, v in plan.declared_metrics.items()},
                "pairs": pairs,
            }  # fmt: skip
            if plan.mde is not None:
                request["mde"] = plan.mde
            comparison = self.comparator.compare(request)
        return {"expected_version": 0 if current is None else current.version,
                "comparison": comparison}  # fmt: skip

    # --- PolicyDecision ---------------------------------------------------------------------

    def decide(
        self, promotion_id: str, experiment_id: str, requester: Principal,
        comparison: Mapping[str, Any], expected_version: int,
    ) -> DecisionRecord:  # fmt: skip
        """Ask the promotion policy, keep the decision record, announce it. Made once per
        promotion: a redrive gets the kept record back."""
        kept = self.repository.decision(promotion_id)
        if kept is not None:
            return kept
        experiment = self._experiment(experiment_id, requester)
        if experiment.plan.cost_ceiling is None and self.default_cost_ceiling is not None:
            from dataclasses import replace

            plan = replace(experiment.plan, cost_ceiling=self.default_cost_ceiling)
            experiment = replace(experiment, plan=plan)
        now = self.clock()
        document = decision_input(requester, experiment, comparison, now=now,
                                  freeze_windows=self.freeze_windows)  # fmt: skip
        decision = self.engine.decide(POLICY_PATH, document)
        record = self.repository.record_decision(DecisionRecord(
            promotion_id=promotion_id, experiment_id=experiment.id, tenant=experiment.tenant,
            project=experiment.project, requester=requester.subject, input=document,
            policy=policy_ref(self.policy_modules), allow=decision.allow,
            reasons=decision.reasons, decided_at=now, expected_version=expected_version,
        ))  # fmt: skip
        self.announcer.announce(
            "coderev.promotion.decided", event_id=f"{promotion_id}:decided",
            subject=f"experiments/{experiment.id}", tenant=experiment.tenant,
            actor=requester.subject,
            data={"promotion_id": promotion_id, "experiment_id": experiment.id,
                  "allow": record.allow, "reasons": list(record.reasons),
                  "policy": {"version": record.policy.version,
                             "bundle_hash": record.policy.bundle_hash}},
        )  # fmt: skip
        return record

    # --- Promote / Quarantine ---------------------------------------------------------------

    def promote(self, promotion_id: str) -> Release:
        """Write the candidate to production (the next version), mark the experiment promoted,
        announce it. Production still at the compared version, else ProductionChangedError."""
        record = self._decision(promotion_id)
        if not record.allow:
            raise ExperimentNotPromotableError(
                f"promotion {promotion_id} was refused ({', '.join(record.reasons)})"
            )
        experiment = self.experiments.experiment(record.experiment_id)
        release = self.repository.publish(
            experiment.tenant, experiment.project, experiment.candidate,
            expected_version=record.expected_version, kind="promote", actor=record.requester,
            experiment_id=experiment.id, promotion_id=promotion_id,
            initial=experiment.baseline if record.expected_version == 0 else None,
        )  # fmt: skip
        self.experiments.mark(experiment.id, "promoted", record.requester)
        self.announcer.announce(
            "coderev.promotion.promoted", event_id=f"{promotion_id}:promoted",
            subject=f"production/{experiment.tenant}/{experiment.scope}", tenant=experiment.tenant,
            actor=record.requester,
            data={"promotion_id": promotion_id, "experiment_id": experiment.id,
                  "project": experiment.project, "version": release.version,
                  "config": {"id": release.config.id, "version": release.config.version},
                  "previous_version": release.previous_version},
        )  # fmt: skip
        return release

    def quarantine(self, promotion_id: str) -> QuarantineEntry:
        """Record the refused candidate with the rules that refused it, mark the experiment
        quarantined, announce it."""
        record = self._decision(promotion_id)
        if record.allow:
            raise ExperimentNotPromotableError(f"promotion {promotion_id} was allowed")
        experiment = self.experiments.experiment(record.experiment_id)
        entry = self.repository.quarantine(QuarantineEntry(
            promotion_id=promotion_id, tenant=experiment.tenant, project=experiment.project,
            experiment_id=experiment.id, config=experiment.candidate, reasons=record.reasons,
            actor=record.requester, created_at=self.clock(),
        ))  # fmt: skip
        self.experiments.mark(experiment.id, "quarantined", record.requester)
        self.announcer.announce(
            "coderev.promotion.quarantined", event_id=f"{promotion_id}:quarantined",
            subject=f"experiments/{experiment.id}", tenant=experiment.tenant,
            actor=record.requester,
            data={"promotion_id": promotion_id, "experiment_id": experiment.id,
                  "config": {"id": entry.config.id, "version": entry.config.version},
                  "reasons": list(entry.reasons)},
        )  # fmt: skip
        return entry

    # --- Notify -----------------------------------------------------------------------------

    def notify(
        self, promotion_id: str, experiment_id: str, requester: Principal,
        outcome: Mapping[str, Any] | None = None, error: str | None = None,
        cause: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Announce how the promotion ended: `coderev.promotion.completed` with the outcome, or
        `coderev.promotion.failed` with the error (the machine's Catch)."""
        failed = outcome is None
        verb = "failed" if failed else "completed"
        data: dict[str, Any] = {"promotion_id": promotion_id, "experiment_id": experiment_id}
        if failed:
            data |= {"error": error or "Error", "cause": (cause or "")[:2000]}
        else:
            data |= {"outcome": dict(outcome or {})}
        self.announcer.announce(
            f"coderev.promotion.{verb}", event_id=f"{promotion_id}:{verb}",
            subject=f"experiments/{experiment_id}", tenant=requester.tenant,
            actor=requester.subject, data=data,
        )  # fmt: skip
        return {"promotion_id": promotion_id, "notified": verb}

    # --- rollback and explanation -----------------------------------------------------------

    def rollback(self, requester: Principal, project: str | None = None,
                 reason: str | None = None) -> Release:  # fmt: skip
        """Restore the configuration in force before the current one, as a new version (the
        history keeps both); the requester needs `production:rollback` in its tenant."""
        from coderev.policy.decision import AUTHZ_PATH, authz_input
        from coderev.policy.errors import PolicyDeniedError

        asked = authz_input(requester, action="production:rollback",
                            resource_tenant=requester.tenant)  # fmt: skip
        allowed = self.engine.decide(AUTHZ_PATH, asked)
        if not allowed.allow:
            raise PolicyDeniedError(allowed.action, allowed.reasons)
        tenant = requester.tenant
        current = self.repository.current(tenant, project)
        if current is None or current.previous_version is None:
            where = f"tenant {tenant}" + (f", project {project}" if project else "")
            raise NothingToRollBackError(f"production of {where} has no earlier configuration")
        previous = self.repository.release(tenant, project, current.previous_version)
        assert previous is not None
        release = self.repository.publish(
            tenant, project, previous.config, expected_version=current.version,
            kind="rollback", actor=requester.subject,
            reason=reason or f"rollback of version {current.version}",
        )  # fmt: skip
        self.announcer.announce(
            "coderev.production.rolled_back",
            event_id=f"production:{tenant}:{project or ''}:{release.version}",
            subject=f"production/{tenant}/{project or ''}", tenant=tenant,
            actor=requester.subject,
            data={"project": project, "version": release.version,
                  "restored_version": previous.version, "replaced_version": current.version,
                  "config": {"id": release.config.id, "version": release.config.version},
                  "reason": release.reason},
        )  # fmt: skip
        return release

    def decision_of(self, requester: Principal, promotion_id: str) -> DecisionRecord:
        """A kept decision of the requester's tenant (another tenant's is not found)."""
        record = self._decision(promotion_id)
        if record.tenant != requester.tenant:
            raise DecisionNotFoundError(f"no promotion decision {promotion_id}")
        return record

    def explain(self, promotion_id: str) -> Explanation:
        """Re-evaluate a kept decision's input under the policy in force now."""
        record = self._decision(promotion_id)
        now = self.engine.decide(POLICY_PATH, record.input)
        return Explanation(record, now.allow, now.reasons,
                           policy_ref(self.policy_modules).bundle_hash)  # fmt: skip

    # --- helpers ----------------------------------------------------------------------------

    def _experiment(self, experiment_id: str, requester: Principal) -> ExperimentView:
        experiment = self.experiments.experiment(experiment_id)
        if experiment.tenant != requester.tenant:  # tenant isolation: another's is not found
            raise ExperimentNotFoundError(f"no experiment {experiment_id}")
        return experiment

    def _decision(self, promotion_id: str) -> DecisionRecord:
        record = self.repository.decision(promotion_id)
        if record is None:
            raise DecisionNotFoundError(f"no promotion decision {promotion_id}")
        return record
