"""Paired tests and effect sizes between two arms over the same tasks (numpy arrays in).

- binary outcomes (failed, accepted): McNemar on the discordant pairs, exact (binomial) below
  25 of them, else its z (n01 - n10) / sqrt(n01 + n10) without continuity correction;
  the odds ratio n01 / n10 as the effect size.
- continuous outcomes (cost, latency): Wilcoxon signed-rank (scipy); Cohen's d_z and the
  matched-pairs rank-biserial correlation as effect sizes.
- ratios of sums (precision = useful / labelled, acceptance, comments per KLOC): a z-test on
  the delta-method linearisation (Deng et al., 2018), paired, so a task weighs by its
  denominator as the ratio itself does; d_z of the linearised values as the effect size.

Every test also gives a signed z (positive: the candidate is higher) that the sequential test
reads; for the exact and rank tests it is the normal score of the two-sided p-value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["PairedTest", "mcnemar", "ratio_delta", "signed_z", "wilcoxon_signed_rank"]

EXACT_BELOW = 25  # discordant pairs under which McNemar's binomial test is exact


@dataclass(frozen=True, slots=True)
class PairedTest:
    test: str
    p_value: float
    z: float  # signed: > 0 when the candidate is higher
    effect_sizes: dict[str, float]


def signed_z(p_value: float, sign: float) -> float:
    """The z whose two-sided p-value is `p_value`, with the sign of the difference."""
    if sign == 0 or p_value >= 1.0:
        return 0.0
    return float(np.sign(sign) * stats.norm.isf(max(p_value, 1e-300) / 2))


def mcnemar(baseline: np.ndarray, candidate: np.ndarray) -> PairedTest:
    a, b = baseline.astype(bool), candidate.astype(bool)
    n01 = int(np.count_nonzero(~a & b))  # only the candidate has it
    n10 = int(np.count_nonzero(a & ~b))  # only the baseline has it
    m = n01 + n10
    odds = (n01 + 0.5) / (n10 + 0.5) if 0 in (n01, n10) else n01 / n10
    effects = {"odds_ratio": float(odds), "discordant": float(m)}
    if m == 0:
        return PairedTest("mcnemar", 1.0, 0.0, effects)
    if m < EXACT_BELOW:
        p = float(stats.binomtest(n01, m, 0.5).pvalue)
        return PairedTest("mcnemar-exact", p, signed_z(p, n01 - n10), effects)
    z = (n01 - n10) / np.sqrt(m)
    return PairedTest("mcnemar", float(2 * stats.norm.sf(abs(z))), float(z), effects)


def wilcoxon_signed_rank(baseline: np.ndarray, candidate: np.ndarray) -> PairedTest:
    d = candidate.astype(float) - baseline.astype(float)
    sd = float(np.std(d, ddof=1)) if d.size > 1 else 0.0
    dz = float(np.mean(d) / sd) if sd > 0 else 0.0
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return PairedTest("wilcoxon", 1.0, 0.0, {"cohen_dz": dz, "rank_biserial": 0.0})
    ranks = stats.rankdata(np.abs(nonzero))
    plus, total = float(ranks[nonzero > 0].sum()), float(ranks.sum())
    rank_biserial = (2 * plus - total) / total  # = (T+ - T-) / (T+ + T-)
    p = float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    return PairedTest(
        "wilcoxon",
        p,
        signed_z(p, plus - total / 2),
        {"cohen_dz": dz, "rank_biserial": rank_biserial},
    )


def ratio_delta(
    num_a: np.ndarray, den_a: np.ndarray, num_b: np.ndarray, den_b: np.ndarray
) -> PairedTest:
    """z-test of sum(num_b)/sum(den_b) - sum(num_a)/sum(den_a) over paired tasks."""
    n = num_a.size
    mean_da, mean_db = float(np.mean(den_a)), float(np.mean(den_b))
    if n < 2 or mean_da <= 0 or mean_db <= 0:
        return PairedTest("delta-z", 1.0, 0.0, {"cohen_dz": 0.0})
    r_a, r_b = float(np.sum(num_a) / np.sum(den_a)), float(np.sum(num_b) / np.sum(den_b))
    linear = (num_b - r_b * den_b) / mean_db - (num_a - r_a * den_a) / mean_da
    sd = float(np.std(linear, ddof=1))
    diff = r_b - r_a
    if sd <= 0:
        return PairedTest(
            "delta-z",
            1.0 if diff == 0 else 0.0,
            0.0 if diff == 0 else float(np.sign(diff)) * 40.0,
            {"cohen_dz": 0.0},
        )
    z = diff / (sd / np.sqrt(n))
    return PairedTest(
        "delta-z", float(2 * stats.norm.sf(abs(z))), float(z), {"cohen_dz": diff / sd}
    )
