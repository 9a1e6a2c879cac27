"""The comparison at the edge (the comparison function's invoke and POST /comparisons): the
request as pydantic models, turned into arrays and a plan.

A pair is one task seen by both arms: `{"task", "baseline": {metric: value}, "candidate":
{...}}` where a value is true/false (binary), a number (continuous) or [numerator,
denominator] (ratio), or null when the arm has none for that task. Pairs are in the order
they were collected: a sequential look at k pairs is the first k of them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from coderev.comparison.catalogue import KNOWN_METRICS, MetricSpec
from coderev.comparison.errors import InvalidComparisonRequestError

if TYPE_CHECKING:
    from coderev.comparison.metrics import PairedMetric
    from coderev.comparison.paired_comparison import ComparisonPlan

__all__ = ["ComparisonRequest", "MetricDeclaration", "Pair", "SequentialPlanModel"]

Value = bool | float | tuple[float, float] | None
_NAME = r"^[a-z][a-z0-9_]{0,63}$"


class MetricDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    kind: Literal["binary", "continuous", "ratio"]
    higher_is_better: bool
    margin: float = Field(default=0.0, ge=0)


class SequentialPlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    max_pairs: int = Field(ge=2, le=10_000_000)
    looks: list[int] = Field(default_factory=list, max_length=100)
    spending: Literal["obrien-fleming", "pocock"] = "obrien-fleming"


class Pair(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    task: str | None = Field(default=None, max_length=256)
    baseline: dict[str, Value]
    candidate: dict[str, Value]


class ComparisonRequest(BaseModel):
    """Two arms over the same tasks, the metrics to judge them by and the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    primary: str = Field(pattern=_NAME)
    guards: list[str] = Field(default_factory=list, max_length=32)
    # kind and direction of metrics outside the catalogue (or to override a margin)
    metrics: dict[str, MetricDeclaration] = Field(default_factory=dict, max_length=64)
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, gt=0, lt=1)
    mde: float | None = Field(default=None, gt=0)
    min_pairs: int = Field(default=10, ge=2)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    resamples: int = Field(default=2000, ge=100, le=20_000)
    sequential: SequentialPlanModel | None = None
    pairs: list[Pair] = Field(min_length=2, max_length=1_000_000)

    def plan(self) -> ComparisonPlan:
        from coderev.comparison.paired_comparison import ComparisonPlan, SequentialPlan

        seq = self.sequential
        return ComparisonPlan(
            primary=self.primary,
            guards=tuple(dict.fromkeys(self.guards)),
            alpha=self.alpha,
            power=self.power,
            mde=self.mde,
            min_pairs=self.min_pairs,
            seed=self.seed,
            resamples=self.resamples,
            sequential=None
            if seq is None
            else SequentialPlan(seq.max_pairs, tuple(seq.looks), seq.spending),
        )

    def spec(self, name: str) -> MetricSpec:
        if name in self.metrics:
            d = self.metrics[name]
            return MetricSpec(name, d.kind, d.higher_is_better, d.margin)
        if name in KNOWN_METRICS:
            return KNOWN_METRICS[name]
        raise InvalidComparisonRequestError(
            f"metric {name!r} is not in the catalogue ({', '.join(KNOWN_METRICS)}); "
            "declare its kind and direction under 'metrics'"
        )

    def paired_metrics(self) -> dict[str, PairedMetric]:
        """Every metric any pair carries (the primary and guards first), as task-ordered arrays."""
        names = dict.fromkeys([self.primary, *self.guards])
        for pair in self.pairs:
            names.update(dict.fromkeys(pair.baseline))
            names.update(dict.fromkeys(pair.candidate))
        return {name: self._arrays(self.spec(name)) for name in names}

    def _arrays(self, spec: MetricSpec) -> PairedMetric:
        import numpy as np

        from coderev.comparison.metrics import PairedMetric

        shape = (len(self.pairs), 2) if spec.kind == "ratio" else (len(self.pairs),)
        out = np.full((2, *shape), np.nan)
        for i, pair in enumerate(self.pairs):
            for arm, values in enumerate((pair.baseline, pair.candidate)):
                value = values.get(spec.name)
                if value is not None:
                    out[arm, i] = _value(spec, value, pair.task or str(i))
        return PairedMetric(spec, out[0], out[1])


def _value(
    spec: MetricSpec, value: bool | float | tuple[float, float], task: str
) -> float | tuple[float, float]:
    where = f"{spec.name} of task {task}"
    if spec.kind == "ratio":
        if not isinstance(value, tuple) or value[1] < 0:
            raise InvalidComparisonRequestError(
                f"{where}: a ratio is [numerator, denominator >= 0]"
            )
        return value
    if isinstance(value, tuple):
        raise InvalidComparisonRequestError(f"{where}: a {spec.kind} metric takes one value")
    if spec.kind == "binary" and value not in (0, 1):
        raise InvalidComparisonRequestError(f"{where}: a binary metric is true or false")
    if not math.isfinite(value):
        raise InvalidComparisonRequestError(f"{where}: not a finite number")
    return float(value)
