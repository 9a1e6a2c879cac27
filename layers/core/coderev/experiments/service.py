"""The experiments room's use cases: review configurations, experiments and their lifecycle,
observations of both arms.

Every lifecycle step is written as a compare-and-set on the experiment's state with its
transition row, then kept in the audit trail and published as the CloudEvent
`coderev.experiment.<verb>` (data: experiment, tenant, from, to, actor, reason). The audit
entry is written here, not left to audit_sink alone: the trail must hold the step even with no
broker (the embedded bus); audit_sink recording the same event later keeps it once (by
source + id).
"""

from __future__ import annotations

import builtins
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from coderev.domain.errors import ConflictError
from coderev.experiments.errors import (
    ConfigurationNotFoundError,
    ExperimentNotFoundError,
    IllegalTransitionError,
    InvalidExperimentError,
)
from coderev.experiments.lifecycle import next_state
from coderev.experiments.model import (
    ARMS,
    FEEDBACK_VERDICTS,
    ConfigurationSpec,
    Experiment,
    ExperimentPlan,
    Feedback,
    Observation,
    Population,
    ReviewConfiguration,
    Transition,
    parse_ref,
)

if TYPE_CHECKING:
    from coderev.audit.repository import AuditRepository
    from coderev.auth.principal import Principal
    from coderev.experiments.repository import ExperimentRepository
    from coderev.ports import EventBus

__all__ = ["EVENT_SOURCE", "Experiments", "ObservationsClosedError"]

EVENT_SOURCE = "/coderev/experiments"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
METRIC_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
_OPEN_FOR_OBSERVATIONS = frozenset({"draft", "running"})


class ObservationsClosedError(ConflictError):
    """The experiment no longer takes observations (it was evaluated, promoted, ...)."""


class Experiments:
    """The use cases, on a repository, an event bus and the audit trail (both optional)."""

    def __init__(
        self,
        repository: ExperimentRepository,
        events: EventBus | None = None,
        audit: AuditRepository | Callable[[], AuditRepository] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.repository = repository
        self._events = events
        self._audit = audit
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- configurations -------------------------------------------------------------------

    def create_configuration(
        self, principal: Principal, name: str, spec: ConfigurationSpec, description: str = ""
    ) -> ReviewConfiguration:
        """The next version of configuration `name` (versions are never changed)."""
        if not re.fullmatch(NAME_PATTERN, name):
            raise InvalidExperimentError(
                f"configuration name {name!r} must be 1-64 of a-z 0-9 _ . - (starting with a "
                "letter or digit)"
            )
        _check_spec(spec)
        made = self.repository.add_configuration(
            principal.tenant, name, spec, description, principal.subject
        )
        data = {"configuration": made.ref, "digest": made.digest, **spec.as_dict()}
        self._announce("coderev.configuration.created", principal, made.ref, data)
        return made

    def configuration(self, tenant: str, ref: str) -> ReviewConfiguration:
        """`name@version`, or the newest version of `name`."""
        name, version = parse_ref(ref)
        found = self.repository.get_configuration(tenant, name, version)
        if found is None:
            raise ConfigurationNotFoundError(ref)
        return found

    def configurations(self, tenant: str, name: str | None = None) -> list[ReviewConfiguration]:
        return self.repository.list_configurations(tenant, name)

    # --- experiments ----------------------------------------------------------------------

    def create(
        self,
        principal: Principal,
        *,
        name: str,
        baseline: str,
        candidate: str,
        plan: ExperimentPlan,
        population: Population,
        description: str = "",
    ) -> Experiment:
        """A draft experiment: `candidate` against `baseline` (configuration refs; a bare name
        is its newest version, pinned now), with its plan chosen up front."""
        base = self.configuration(principal.tenant, baseline)
        cand = self.configuration(principal.tenant, candidate)
        if base.ref == cand.ref:
            raise InvalidExperimentError("the candidate and the baseline are one configuration")
        _check_plan(plan)
        if not name.strip() or len(name) > 128:
            raise InvalidExperimentError("an experiment has a name of 1-128 characters")
        if not population.live and population.corpus is None:
            raise InvalidExperimentError("the population is neither live projects nor a corpus")
        now = self._now()
        experiment = Experiment(
            id=f"exp_{uuid.uuid4().hex[:24]}", tenant=principal.tenant, name=name.strip(),
            baseline=base.ref, candidate=cand.ref, population=population, plan=plan,
            state="draft", created_by=principal.subject, created_at=now, updated_at=now,
            description=description,
        )  # fmt: skip
        event_id = str(uuid.uuid4())
        created = Transition(experiment.id, 1, None, "draft", "create", principal.subject,
                             None, event_id, now)  # fmt: skip
        self.repository.add_experiment(experiment, created)
        self._announce("coderev.experiment.created", principal, experiment.id,
                       _event_data(experiment, created, principal), event_id=event_id)  # fmt: skip
        return experiment

    def get(self, tenant: str, experiment_id: str) -> Experiment:
        """The tenant's experiment; another tenant's is not found."""
        found = self.repository.get_experiment(experiment_id)
        if found is None or found.tenant != tenant:
            raise ExperimentNotFoundError(experiment_id)
        return found

    def list(self, tenant: str, states: Sequence[str] | None = None) -> builtins.list[Experiment]:
        return self.repository.list_experiments(tenant, states)

    def history(self, tenant: str, experiment_id: str) -> builtins.list[Transition]:
        self.get(tenant, experiment_id)
        return self.repository.transitions(experiment_id)

    def transition(
        self, principal: Principal, experiment_id: str, verb: str, reason: str | None = None
    ) -> Experiment:
        """Take the lifecycle step `verb` (start, evaluate, promote, quarantine, archive);
        IllegalTransitionError (409) when the experiment's state does not allow it."""
        experiment = self.get(principal.tenant, experiment_id)
        target, event_verb = next_state(experiment.id, experiment.state, verb)
        now = self._now()
        event_id = str(uuid.uuid4())
        step = Transition(experiment.id, 0, experiment.state, target, verb, principal.subject,
                          reason, event_id, now)  # fmt: skip
        moved = self.repository.transition(experiment, step)
        if not moved:
            current = self.get(principal.tenant, experiment.id)
            raise IllegalTransitionError(experiment.id, current.state, event_verb,
                                         _allowed(current.state))  # fmt: skip
        if verb == "start":
            for ref in (experiment.baseline, experiment.candidate):
                config = self.configuration(experiment.tenant, ref)
                self.repository.mark_used(experiment.tenant, config.name, config.version, now)
        moved_to = self.get(principal.tenant, experiment.id)
        self._announce(f"coderev.experiment.{event_verb}", principal, experiment.id,
                       _event_data(moved_to, step, principal), event_id=event_id)  # fmt: skip
        return moved_to

    # --- observations ---------------------------------------------------------------------

    def record(
        self,
        tenant: str,
        experiment_id: str,
        *,
        source: str,
        task: str,
        arm: str,
        metrics: Mapping[str, Any],
        project: str | None = None,
        analysis_id: str | None = None,
    ) -> bool:
        """Keep one arm's outcome on a task; False when that arm of the task is already kept."""
        experiment = self.get(tenant, experiment_id)
        if experiment.state not in _OPEN_FOR_OBSERVATIONS:
            raise ObservationsClosedError(
                f"experiment {experiment_id!r} is {experiment.state}: it takes no observations"
            )
        if arm not in ARMS or source not in ("live", "offline"):
            raise InvalidExperimentError(f"arm must be one of {ARMS}, source live or offline")
        configuration = experiment.baseline if arm == "baseline" else experiment.candidate
        return self.repository.record_observation(Observation(
            experiment_id=experiment.id, source=source, task=task[:512], arm=arm,
            configuration=configuration, metrics=dict(metrics), project=project,
            analysis_id=analysis_id, recorded_at=self._now(),
        ))  # fmt: skip

    def pairs(
        self, tenant: str, experiment_id: str, source: str | None = None
    ) -> builtins.list[dict[str, Any]]:
        """Tasks both arms were observed on, as the comparison takes them:
        `{"task", "baseline": {metric: value}, "candidate": {metric: value}}`, in task order.
        A live arm's `acceptance` is [accepted, verdicts] of the feedback its analysis got on
        that arm's configuration (when it got any)."""
        self.get(tenant, experiment_id)
        arms: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        for seen in self.repository.observations(experiment_id, source):
            metrics = dict(seen.metrics)
            if seen.source == "live" and seen.analysis_id is not None:
                votes = [
                    f.verdict
                    for f in self.repository.feedback(tenant, analysis_id=seen.analysis_id)
                    if f.configuration == seen.configuration
                ]
                if votes:
                    metrics["acceptance"] = [float(votes.count("accepted")), float(len(votes))]
            arms.setdefault((seen.source, seen.task), {})[seen.arm] = metrics
        return [
            {"task": f"{src}:{task}" if source is None else task,
             "baseline": both["baseline"], "candidate": both["candidate"]}
            for (src, task), both in sorted(arms.items())
            if "baseline" in both and "candidate" in both
        ]  # fmt: skip

    # --- feedback ---------------------------------------------------------------------------

    def record_feedback(
        self,
        principal: Principal,
        *,
        analysis_id: str,
        fingerprint: str,
        verdict: str,
        rule_id: str | None = None,
        project: str | None = None,
        model: str | None = None,
        configuration: str | None = None,
        comment: str | None = None,
    ) -> Feedback:
        """Keep the caller's verdict on a finding or comment (a later one replaces it), in the
        audit trail and as `coderev.feedback.recorded`."""
        if verdict not in FEEDBACK_VERDICTS:
            raise InvalidExperimentError(f"verdict must be one of {', '.join(FEEDBACK_VERDICTS)}")
        if not analysis_id or not fingerprint:
            raise InvalidExperimentError("feedback names the analysis and the fingerprint")
        item = Feedback(
            tenant=principal.tenant, analysis_id=analysis_id, fingerprint=fingerprint,
            verdict=verdict, actor=principal.subject, project=project, rule_id=rule_id,
            model=model, configuration=configuration, comment=comment, at=self._now(),
        )  # fmt: skip
        self.repository.record_feedback(item)
        data = {"analysis_id": analysis_id, "fingerprint": fingerprint, "verdict": verdict,
                "rule_id": rule_id, "project": project, "model": model,
                "configuration": configuration}  # fmt: skip
        self._announce("coderev.feedback.recorded", principal, f"{analysis_id}/{fingerprint}",
                       data)  # fmt: skip
        return item

    def feedback(self, tenant: str, project: str | None = None) -> builtins.list[Feedback]:
        return self.repository.feedback(tenant, project=project)

    def comparison_request(
        self, tenant: str, experiment_id: str, source: str | None = None, seed: int = 0
    ) -> dict[str, Any]:
        """The comparison function's request (coderev.comparison.models.ComparisonRequest)
        for the experiment's paired observations, under the plan chosen up front; metrics
        outside the comparison's catalogue (the offline ones) are declared."""
        from coderev.comparison.catalogue import KNOWN_METRICS
        from coderev.comparison.offline import OFFLINE_METRICS

        experiment = self.get(tenant, experiment_id)
        pairs = self.pairs(tenant, experiment_id, source)
        names = {n for p in pairs for arm in ("baseline", "candidate") for n in p[arm]}
        names |= {experiment.plan.primary_metric, *experiment.plan.guard_metrics}
        declared = {
            name: {"kind": spec.kind, "higher_is_better": spec.higher_is_better}
            for name in sorted(names - set(KNOWN_METRICS))
            if (spec := OFFLINE_METRICS.get(name)) is not None
        }
        plan = experiment.plan
        return {
            "primary": plan.primary_metric, "guards": list(plan.guard_metrics),
            "metrics": declared, "alpha": plan.alpha, "power": plan.power, "mde": plan.mde,
            "seed": seed, "pairs": pairs,
        }  # fmt: skip

    # --- internals ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock()

    def _announce(
        self,
        event_type: str,
        principal: Principal,
        subject: str,
        data: dict[str, Any],
        event_id: str | None = None,
    ) -> None:
        from coderev.domain.events import cloud_event

        data = {**data, "tenant_id": principal.tenant,
                "actor": {"subject": principal.subject, "kind": principal.kind}}  # fmt: skip
        event = cloud_event(event_type, EVENT_SOURCE, data, subject=subject, id=event_id,
                            time=self._now())  # fmt: skip
        audit = self._audit() if callable(self._audit) else self._audit
        if audit is not None:
            from coderev.audit.model import AuditEntry

            audit.record(AuditEntry.from_cloudevent(event))
        if self._events is not None:
            self._events.publish(event_type, event, key=subject)


def _allowed(state: str) -> tuple[str, ...]:
    from coderev.experiments.lifecycle import allowed_from

    return allowed_from(state)


def _event_data(experiment: Experiment, step: Transition, principal: Principal) -> dict[str, Any]:
    return {
        "experiment_id": experiment.id, "name": experiment.name,
        "baseline": experiment.baseline, "candidate": experiment.candidate,
        "from": step.from_state, "to": step.to_state, "reason": step.reason,
        "primary_metric": experiment.plan.primary_metric,
    }  # fmt: skip


def _check_spec(spec: ConfigurationSpec) -> None:
    from coderev.domain.config import Thresholds
    from coderev.domain.findings import Severity

    known = set(Thresholds.__dataclass_fields__)
    unknown = sorted(set(spec.thresholds) - known)
    if unknown:
        raise InvalidExperimentError(
            f"unknown threshold(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    levels = {s.value for s in Severity}
    policy = dict(spec.severity_policy)
    minimum = policy.pop("min_severity", None)
    rules = policy.pop("rules", {}) or {}
    if policy:
        raise InvalidExperimentError(
            f"severity_policy takes min_severity and rules, not {', '.join(sorted(policy))}"
        )
    if minimum is not None and minimum not in levels:
        raise InvalidExperimentError(f"min_severity must be one of {', '.join(sorted(levels))}")
    bad = sorted(r for r, level in dict(rules).items() if level not in levels | {"off"})
    if bad:
        raise InvalidExperimentError(
            f"severity_policy.rules: {', '.join(bad)} must be a severity or 'off'"
        )


def _check_plan(plan: ExperimentPlan) -> None:
    for metric in (plan.primary_metric, *plan.guard_metrics):
        if not re.fullmatch(METRIC_PATTERN, metric):
            raise InvalidExperimentError(f"metric name {metric!r} is not a-z, 0-9 and _")
    if plan.primary_metric in plan.guard_metrics:
        raise InvalidExperimentError("the primary metric cannot also be a guard metric")
    if not (0 < plan.alpha < 0.5 and 0 < plan.power < 1 and plan.mde > 0):
        raise InvalidExperimentError("alpha must be in (0, 0.5), power in (0, 1), mde > 0")
    if not 0 < plan.split < 100:
        raise InvalidExperimentError("split (the candidate's share, %) must be in (0, 100)")
