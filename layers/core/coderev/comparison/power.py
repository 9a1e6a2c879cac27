"""Power and minimum sample size for a paired comparison, fixed or group-sequential.

Every test here is read through its z, approximately N(sqrt(n) e, 1) for n pairs, where e is
the standardised effect of one pair:
- continuous (Wilcoxon): e = mde / sd(differences) x sqrt(3 / pi), the signed-rank test's
  asymptotic relative efficiency against the t-test for normal differences (Noether's
  formula is more conservative; this one is what the simulation in the tests matches);
- binary (McNemar): e = mde / sqrt(discordant rate) (Connor, 1987, without the second-order
  variance term, which is below 1 % for the effects an experiment plans for);
- ratio (delta method): e = mde / sd(linearised values).
A sequential plan needs a larger drift for the same power (sequential.drift_for_power); the
pairs needed are (drift / e)^2, rounded up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy import stats

from coderev.comparison.sequential import (
    Spending,
    boundaries,
    crossing_probabilities,
    drift_for_power,
)

__all__ = ["WILCOXON_EFFICIENCY", "per_pair_effect", "power_at", "required_pairs"]

WILCOXON_EFFICIENCY = 3 / math.pi


def per_pair_effect(kind: str, mde: float, spread: float) -> float | None:
    """e for a minimum detectable effect `mde` (metric units); `spread` is the sd of the paired
    differences (continuous), the discordant rate (binary) or the sd of the linearised values
    (ratio). None when the spread is zero: no sample size follows from it."""
    if spread <= 0 or mde <= 0:
        return None
    if kind == "continuous":
        return mde / spread * math.sqrt(WILCOXON_EFFICIENCY)
    if kind == "binary":
        return mde / math.sqrt(spread)
    return mde / spread


def required_pairs(
    effect: float,
    alpha: float = 0.05,
    power: float = 0.8,
    fractions: Sequence[float] = (1.0,),
    spending: Spending = "obrien-fleming",
) -> int:
    """Pairs needed to detect per-pair effect `effect` with `power`, two-sided `alpha`, by a
    plan that looks at these information fractions (the final look, 1, is added)."""
    theta = drift_for_power(power, alpha, fractions, spending)
    return max(2, math.ceil((theta / effect) ** 2))


def power_at(
    pairs: int,
    effect: float,
    alpha: float = 0.05,
    fractions: Sequence[float] = (1.0,),
    spending: Spending = "obrien-fleming",
) -> float:
    """The probability that a plan of `pairs` pairs in all, looking at these fractions of them,
    rejects when the true per-pair effect is `effect`."""
    theta = math.sqrt(pairs) * effect
    fr = [*fractions] if fractions and fractions[-1] == 1.0 else [*fractions, 1.0]
    if len(fr) == 1:
        z = stats.norm.isf(alpha / 2)
        return float(stats.norm.sf(z - theta) + stats.norm.cdf(-z - theta))
    bounds = [look.boundary for look in boundaries(fr, alpha, spending)]
    return float(sum(crossing_probabilities(fr, bounds, theta)))
