"""The ExperimentSource on the experiments room (coderev.experiments): an experiment, its two
configurations (`name@version` -> ReviewConfig(name, version, spec)), its plan, its paired
observations (live and offline, as the comparison takes them), and the lifecycle's promote /
quarantine steps.

What the experiments plan does not say, promotion decides here: the minimum samples are
`min_samples` (30 unless given; the rule of thumb below which the bootstrap CIs and the normal
approximations are not trusted), the seed of the comparison is 0 (reproducible), and the
production a candidate goes to is the project's when the population names exactly one
project, else the tenant's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from coderev.promotion.errors import ExperimentNotFoundError
from coderev.promotion.model import ExperimentView, PromotionPlan, ReviewConfig

if TYPE_CHECKING:
    from coderev.experiments.model import ReviewConfiguration
    from coderev.experiments.service import Experiments
    from coderev.promotion.repository import PromotionRepository

__all__ = ["ConfigurationInForce", "ExperimentsRoomSource"]

_VERB = {"promoted": "promote", "quarantined": "quarantine"}


class ExperimentsRoomSource:
    def __init__(self, experiments: Experiments, *, min_samples: int = 30) -> None:
        self.experiments = experiments
        self.min_samples = min_samples

    def _tenant(self, experiment_id: str) -> str:
        found = self.experiments.repository.get_experiment(experiment_id)
        if found is None:
            raise ExperimentNotFoundError(f"no experiment {experiment_id}")
        return found.tenant

    def experiment(self, experiment_id: str) -> ExperimentView:
        found = self.experiments.repository.get_experiment(experiment_id)
        if found is None:
            raise ExperimentNotFoundError(f"no experiment {experiment_id}")
        configs = [self.experiments.configuration(found.tenant, ref)
                   for ref in (found.baseline, found.candidate)]  # fmt: skip
        baseline, candidate = (ReviewConfig(c.name, c.version, c.spec.as_dict()) for c in configs)
        projects = found.population.projects
        # the metrics outside the comparison's catalogue, declared as the experiments room
        # declares them for its own comparisons
        declared = self.experiments.comparison_request(found.tenant, found.id)["metrics"]
        return ExperimentView(
            id=found.id, tenant=found.tenant,
            project=projects[0] if len(projects) == 1 else None, status=found.state,
            baseline=baseline, candidate=candidate,
            plan=PromotionPlan(
                primary=found.plan.primary_metric, guards=tuple(found.plan.guard_metrics),
                min_samples=self.min_samples, alpha=found.plan.alpha, mde=found.plan.mde,
                power=found.plan.power, declared_metrics=declared,
            ),
        )  # fmt: skip

    def pairs(self, experiment_id: str) -> Sequence[Mapping[str, Any]]:
        return self.experiments.pairs(self._tenant(experiment_id), experiment_id)

    def mark(self, experiment_id: str, status: Literal["promoted", "quarantined"],
             actor: str) -> None:  # fmt: skip
        from coderev.auth.principal import Principal

        found = self.experiments.repository.get_experiment(experiment_id)
        if found is None:
            raise ExperimentNotFoundError(f"no experiment {experiment_id}")
        if found.state == status:
            return  # a retried or redriven step
        self.experiments.transition(Principal(actor, found.tenant, frozenset(), "user"),
                                    experiment_id, _VERB[status])  # fmt: skip


class ConfigurationInForce:
    """The experiments' `InForce` hook (coderev.experiments.live): (tenant, project) -> the
    configuration production holds for the project, else for the tenant; None before any
    promotion (coderev's built-in configuration reviews). A release naming a configuration the
    experiments room does not have raises its ConfigurationNotFoundError rather than reviewing
    with another configuration than the one in force."""

    def __init__(self, repository: PromotionRepository, experiments: Experiments) -> None:
        self.repository = repository
        self.experiments = experiments

    def __call__(self, tenant: str, project: str | None) -> ReviewConfiguration | None:
        release = self.repository.current(tenant, project) if project else None
        release = release or self.repository.current(tenant, None)
        if release is None:
            return None
        config = release.config
        return self.experiments.configuration(tenant, f"{config.id}@{config.version}")
