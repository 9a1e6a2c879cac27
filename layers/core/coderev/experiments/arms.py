"""Live traffic: which experiment and arm a project's analyses are in.

The arm is routing's sticky hash (coderev.routing.arms.HashedArms: SHA-256 of the experiment
id and the project), weighted by the plan's `split` (the candidate's share in percent), so a
project stays in one arm for the whole experiment, in every process, with nothing shared.
`ExperimentArms` is the router's hook (Router(arms=...)): a routing rule with `when.arms`
then holds for one arm only. When several running experiments cover a project, the oldest
decides: an analysis is in at most one experiment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from coderev.domain.errors import CoderevError
from coderev.routing.arms import HashedArms

if TYPE_CHECKING:
    from coderev.experiments.model import Experiment
    from coderev.routing.model import RouteTask

__all__ = ["ExperimentArms", "arm_of", "experiment_for"]

_log = logging.getLogger(__name__)


def experiment_for(running: Sequence[Experiment], project: str | None) -> Experiment | None:
    """The oldest running experiment whose live population holds `project`."""
    covering = [e for e in running if e.state == "running" and e.population.includes(project)]
    return min(covering, key=lambda e: (e.created_at, e.id), default=None)


def arm_of(experiment: Experiment, project: str) -> str:
    """ "baseline" or "candidate", sticky per (experiment, project)."""
    from coderev.routing.model import RouteTask

    split = experiment.plan.split
    arms = HashedArms(experiment.id, {"baseline": 100.0 - split, "candidate": split})
    return arms.assign(RouteTask(kind="review", language="", input_tokens=0, project=project)) or (
        "baseline"
    )


class ExperimentArms:
    """ArmAssigner over the tenant's running experiments (read at most every `ttl_s`)."""

    def __init__(self, running: Callable[[str], Sequence[Experiment]], ttl_s: float = 30.0) -> None:
        self._running = running
        self._ttl_s = ttl_s
        self._seen: dict[str, tuple[float, Sequence[Experiment]]] = {}

    def assign(self, task: RouteTask) -> str | None:
        if not task.project:
            return None
        now = time.monotonic()
        cached = self._seen.get(task.tenant)
        if cached is None or now - cached[0] > self._ttl_s:
            try:
                running = tuple(self._running(task.tenant))
            except CoderevError:
                # routing goes on without an arm: a review is not failed by the experiments'
                # database; the analysis' own arrangement (coderev.experiments.live) says more
                _log.warning("experiment arms unavailable for tenant %s", task.tenant)
                return None
            cached = (now, running)
            self._seen[task.tenant] = cached
        experiment = experiment_for(cached[1], task.project)
        return None if experiment is None else arm_of(experiment, task.project)
