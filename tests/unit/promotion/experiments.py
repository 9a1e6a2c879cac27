"""Experiments for the promotion tests: a candidate that is better (or worse) than its baseline
on paired observations, as plain pairs (for fakes) or made through the experiments room
(configurations, a draft, started, observed on both arms, evaluated)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.experiments.service import Experiments

BASELINE = {
    "id": "default",
    "version": 1,
    "body": {"reviewer": "offline", "severity_policy": {"min_severity": "low"}},
}
CANDIDATE = {
    "id": "strict",
    "version": 2,
    "body": {"reviewer": "offline", "severity_policy": {"min_severity": "medium"}},
}


def pairs(
    n: int = 60, *, better: bool = True, cost: float = 0.01, seed: int = 7
) -> list[dict[str, Any]]:
    """`n` tasks: the candidate's precision higher (or lower) than the baseline's, the same
    failures, cost and latency close to the baseline's."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        total = rng.randint(4, 8)
        base = rng.randint(1, total - 2)
        cand = min(total, base + 2) if better else max(0, base - 2)
        arms = {}
        for arm, useful in (("baseline", base), ("candidate", cand)):
            arms[arm] = {"precision": [useful, total], "cost_usd": cost,
                         "latency_s": 10.0 + rng.random(), "failed": False,
                         "useful_kept": [2, 2]}  # fmt: skip
        out.append({"task": f"t-{i:03d}", **arms})
    return out


def evaluated_experiment(
    experiments: Experiments, principal: Principal, *, better: bool = True, n: int = 60,
    name: str = "strict",
) -> str:  # fmt: skip
    """A stricter severity policy against the one in force, observed offline on `n` tasks,
    evaluated: its id. The baseline configuration `default` is made once per tenant."""
    from coderev.experiments import ConfigurationSpec, ExperimentPlan, Population

    if not experiments.configurations(principal.tenant, "default"):
        experiments.create_configuration(principal, "default", ConfigurationSpec(
            severity_policy={"min_severity": "low"}))  # fmt: skip
    candidate = experiments.create_configuration(principal, name, ConfigurationSpec(
        severity_policy={"min_severity": "medium"}))  # fmt: skip
    experiment = experiments.create(
        principal, name=f"{name} severity", baseline="default", candidate=candidate.ref,
        plan=ExperimentPlan("precision", ("cost_usd", "failed", "useful_kept"), mde=0.1),
        population=Population(corpus="precision", live=False),
    )  # fmt: skip
    experiments.transition(principal, experiment.id, "start")
    for pair in pairs(n, better=better):
        for arm in ("baseline", "candidate"):
            experiments.record(principal.tenant, experiment.id, source="offline",
                               task=pair["task"], arm=arm, metrics=pair[arm])  # fmt: skip
    experiments.transition(principal, experiment.id, "evaluate")
    return experiment.id
