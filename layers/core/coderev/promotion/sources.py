"""What promotion reads from other rooms, through narrow Protocols: the experiment (its two
configurations, plan and paired observations; marking it promoted or quarantined) and the
comparison of two arms. Adapters are chosen in bootstrap; tests use fakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from coderev.promotion.model import ExperimentView

__all__ = ["Comparator", "ExperimentSource"]


class ExperimentSource(Protocol):
    def experiment(self, experiment_id: str) -> ExperimentView:
        """The experiment; ExperimentNotFoundError when there is none."""
        ...

    def pairs(self, experiment_id: str) -> Sequence[Mapping[str, Any]]:
        """Its paired observations in the comparison's request form, in collection order:
        `{"task", "baseline": {metric: value}, "candidate": {metric: value}}`."""
        ...

    def mark(self, experiment_id: str, status: Literal["promoted", "quarantined"],
             actor: str) -> None:  # fmt: skip
        """Move the experiment to `status` (idempotent: already there is no error)."""
        ...


class Comparator(Protocol):
    def compare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The comparison's result (coderev.comparison/v1 JSON) of a comparison request."""
        ...
