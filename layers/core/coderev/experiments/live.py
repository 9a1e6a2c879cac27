"""A live analysis under the experiments: which configuration reviews it, what its report says
of that, and both arms' outcomes recorded.

`arrange` gives the Review step a `ReviewArrangement` (coderev.pipeline.options): the project's
arm of its running experiment (coderev.experiments.arms) chooses the configuration whose
reviewer and severity policy apply (thresholds apply to offline evaluation and `coderev review
--configuration` runs: a live analysis measured its files before Review); the report's context
names the configuration, the experiment, the arm, and the project's low-acceptance rules.
Outside any running experiment the configuration production holds for the project or tenant
reviews (`in_force`, answered by promotion's records), else coderev's built-in one.

Both arms' outcomes are recorded per analysis (task = the analysis id): the served arm's, and,
when neither arm calls a model, the other arm's too, by re-running the cheap Review stage
under its severity policy (shadow), so live analyses give paired observations at no model
cost. An AI arm is not run in shadow (it would double the spend): its analyses record the
served arm only, until an offline evaluation supplies pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from coderev.domain.report import ReviewContext

if TYPE_CHECKING:
    from coderev.analyses.repository import AnalysisRepository
    from coderev.domain.report import ReviewResult
    from coderev.experiments.configured import SeverityPolicy
    from coderev.experiments.model import ConfigurationSpec, ReviewConfiguration
    from coderev.experiments.service import Experiments
    from coderev.pipeline.options import ReviewArrangement

__all__ = ["AnalysisOwner", "InForce", "arrange", "arrange_analysis", "observation_metrics",
           "record_served"]  # fmt: skip


def observation_metrics(result: ReviewResult) -> dict[str, Any]:
    """What one arm's review of an analysis measured: comments per KLOC as [comments, kloc],
    findings, cost (USD) and latency (s), failed."""
    lines = sum(f.metrics.loc for f in result.files if f.metrics is not None)
    ai = result.review.ai
    cost = 0.0 if ai is None else float(ai.cost_usd)
    return {
        "comments_per_kloc": [float(len(result.review.comments)), lines / 1000.0],
        "findings": float(len(result.findings)),
        "cost_usd": cost,
        "latency_s": round(sum(result.timings.values()), 4),
        "failed": False,
    }


InForce = Callable[[str, "str | None"], "ReviewConfiguration | None"]
"""(tenant, project) -> the configuration production holds for it (the project's, else the
tenant's), None: coderev's built-in one. Promotion's production records answer it."""


def arrange(
    service: Experiments,
    tenant: str,
    project: str | None,
    analysis_id: str,
    *,
    min_votes: int = 5,
    feedback_url: str | None = None,
    in_force: InForce | None = None,
) -> ReviewArrangement:
    """The arrangement of one analysis: its experiment arm's configuration; outside any
    running experiment, the one in force (`in_force`), else coderev's built-in one."""
    from coderev.experiments.arms import arm_of, experiment_for
    from coderev.experiments.feedback import collapsed_rules
    from coderev.pipeline.options import ReviewArrangement

    collapsed = collapsed_rules(service.feedback(tenant, project), min_votes) if project else {}
    base = ReviewContext(project=project, analysis_id=analysis_id,
                         collapsed_rules=tuple(sorted(collapsed)), acceptance=collapsed,
                         feedback_url=feedback_url)  # fmt: skip
    experiment = experiment_for(service.list(tenant, ["running"]), project)
    if experiment is None or project is None:
        production = None if in_force is None else in_force(tenant, project)
        if production is None:
            return ReviewArrangement(context=base)
        from dataclasses import replace as changed

        return ReviewArrangement(
            context=changed(base, configuration=production.ref,
                            configuration_digest=production.digest),
            reviewer=production.spec.reviewer,
            finding_policy=_policy(production.spec),
        )  # fmt: skip
    arm = arm_of(experiment, project)
    other = "candidate" if arm == "baseline" else "baseline"
    refs = {"baseline": experiment.baseline, "candidate": experiment.candidate}
    served = service.configuration(tenant, refs[arm])
    shadow = service.configuration(tenant, refs[other])
    offline = served.spec.reviewer == "offline" and shadow.spec.reviewer == "offline"

    policy = _policy

    def observe(which: str, result: ReviewResult) -> None:
        service.record(tenant, experiment.id, source="live", task=analysis_id, arm=which,
                       metrics=observation_metrics(result), project=project,
                       analysis_id=analysis_id)  # fmt: skip

    from dataclasses import replace

    context = replace(
        base, configuration=served.ref, configuration_digest=served.digest,
        experiment_id=experiment.id, experiment_name=experiment.name, arm=arm,
    )  # fmt: skip
    return ReviewArrangement(
        context=context, reviewer=served.spec.reviewer, finding_policy=policy(served.spec),
        shadow=(other, policy(shadow.spec)) if offline else None, observe=observe,
    )  # fmt: skip


def _policy(spec: ConfigurationSpec) -> SeverityPolicy | None:
    from coderev.experiments.configured import SeverityPolicy

    return SeverityPolicy(spec.severity_policy) if spec.severity_policy else None


def record_served(service: Experiments, tenant: str, result: ReviewResult) -> None:
    """Record an AI review's outcome for the arm its context names (MergeReview)."""
    c = result.context
    if c.experiment_id is None or c.arm is None or c.analysis_id is None:
        return
    service.record(tenant, c.experiment_id, source="live", task=c.analysis_id, arm=c.arm,
                   metrics=observation_metrics(result), project=c.project,
                   analysis_id=c.analysis_id)  # fmt: skip


class AnalysisOwner:
    """Whose an analysis is: its tenant and its project's name (the experiments' project key),
    read from the analysis record and the project registry when there is one."""

    def __init__(self, analyses: AnalysisRepository, project_name: Any = None) -> None:
        self._analyses = analyses
        self._project_name = project_name  # (tenant, project id) -> name | None

    def __call__(self, analysis_id: str) -> tuple[str, str | None]:
        record = self._analyses.get(analysis_id)
        if record is None:
            return "default", None
        tenant = str(getattr(record, "tenant_id", None) or "default")
        project = record.project_id
        if project is not None and self._project_name is not None:
            project = self._project_name(tenant, project) or project
        return tenant, project


def arrange_analysis(
    service: Experiments,
    owner: AnalysisOwner,
    analysis_id: str,
    settings: Any,
    in_force: InForce | None = None,
) -> ReviewArrangement:
    """`arrange` for the analysis `analysis_id` under the settings' feedback options."""
    tenant, project = owner(analysis_id)
    return arrange(service, tenant, project, analysis_id,
                   min_votes=settings.feedback_min_votes, feedback_url=settings.feedback_url,
                   in_force=in_force)  # fmt: skip
