"""The experiment-arm hook: which arm of an experiment a task's project is in.

Routing asks the hook before choosing a rule, so a rule can hold for one arm only
(`when.arms`) and an experiment changes the models or prompt version by data alone. The
default hook assigns nothing. `HashedArms` is sticky: the arm is a function of a hash of the
experiment's name and the project, so every chunk and every analysis of one project lands in
the same arm, in every process, with no state to share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coderev.routing.model import RouteTask

__all__ = ["ArmAssigner", "HashedArms", "NoExperiment"]


class ArmAssigner(Protocol):
    def assign(self, task: RouteTask) -> str | None:
        """The task's arm, or None: no experiment applies."""
        ...


class NoExperiment:
    """No experiment runs: every task routes by the rules alone."""

    def assign(self, task: RouteTask) -> str | None:
        return None


class HashedArms:
    """Arms by weight (e.g. {"control": 50, "candidate": 50}), chosen by the first 8 bytes of
    SHA-256(experiment + project) as a point in [0, total weight). Tasks without a project
    get no arm (nothing to keep them sticky to)."""

    def __init__(self, experiment: str, weights: Mapping[str, float]) -> None:
        if not weights or any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
            raise ValueError("arms need non-negative weights with a positive sum")
        self.experiment = experiment
        self._arms = sorted(weights.items())  # the order of the mapping must not matter
        self._total = sum(weights.values())

    def assign(self, task: RouteTask) -> str | None:
        if not task.project:
            return None
        digest = hashlib.sha256(f"{self.experiment}\0{task.project}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64 * self._total
        for arm, weight in self._arms:
            if point < weight:
                return arm
            point -= weight
        return self._arms[-1][0]  # float rounding at the very top
