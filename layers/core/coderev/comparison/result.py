"""The comparison's answer as frozen dataclasses, and its plain-JSON form (`as_dict`), which
the promotion policy (OPA) reads: per metric the estimate, its CI, p-value and n; the guard
regression flags; the sequential looks; the recommendation with its reasons as codes."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "SCHEMA",
    "ComparisonResult",
    "Decision",
    "LookResult",
    "MetricResult",
    "PowerResult",
    "Reason",
    "Recommendation",
    "SequentialResult",
]

SCHEMA = "coderev.comparison/v1"
Decision = Literal["promote", "keep", "inconclusive"]


@dataclass(frozen=True, slots=True)
class MetricResult:
    name: str
    role: Literal["primary", "guard", "secondary"]
    kind: str
    higher_is_better: bool
    n: int  # pairs where both arms have a value
    baseline: float | None  # the arm's mean, proportion or ratio of sums
    candidate: float | None
    estimate: float | None  # candidate - baseline
    relative: float | None  # estimate / baseline
    ci: tuple[float | None, float | None]  # paired bootstrap percentile CI of the estimate
    test: str
    p_value: float
    z: float
    effect_sizes: dict[str, float]
    significant: bool  # the primary: by the sequential boundary when there is a plan
    direction: Literal["better", "worse", "none"]  # of a significant difference
    margin: float
    regression: bool  # the CI lies wholly on the worse side of zero
    excludes_regression: bool  # the CI's worse end is within the margin


@dataclass(frozen=True, slots=True)
class LookResult:
    pairs: int
    fraction: float
    boundary: float | None  # two-sided |z|; None: this look spends nothing
    z: float
    crossed: bool


@dataclass(frozen=True, slots=True)
class SequentialResult:
    spending: str
    max_pairs: int
    looks: tuple[LookResult, ...]
    alpha_spent: float
    stopped_at: int | None  # pairs at the first look whose boundary was crossed
    final: bool  # the planned pairs are reached: no look after this one


@dataclass(frozen=True, slots=True)
class PowerResult:
    mde: float
    power: float
    effect_per_pair: float | None
    required_pairs: int | None
    power_of_plan: float | None  # of max_pairs with the plan's looks, else of the pairs here


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    metric: str | None
    message: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    decision: Decision
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    n_pairs: int
    alpha: float
    seed: int
    resamples: int
    primary: str
    guards: tuple[str, ...]
    metrics: dict[str, MetricResult]
    sequential: SequentialResult | None
    power: PowerResult | None
    recommendation: Recommendation

    @property
    def guard_regressions(self) -> list[str]:
        return [g for g in self.guards if self.metrics[g].regression]

    def as_dict(self) -> dict[str, Any]:
        out = {"schema": SCHEMA, **asdict(self), "guard_regressions": self.guard_regressions}
        finite: dict[str, Any] = _finite(out)
        return finite


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: both become null (an estimate that does not exist)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
