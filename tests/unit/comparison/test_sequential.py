"""Alpha spending: the boundaries are the published ones, and by simulation a null experiment
looked at repeatedly rejects at alpha (naive peeking does not), and a planted effect is found
as often as the computed power says."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from coderev.comparison.power import WILCOXON_EFFICIENCY, power_at, required_pairs
from coderev.comparison.sequential import alpha_spent, boundaries

FIVE = [0.2, 0.4, 0.6, 0.8, 1.0]
SIMS = 4000


# three Monte-Carlo standard errors of a rate p estimated from SIMS runs
def mc_tolerance(p: float, sims: int = SIMS) -> float:
    return 3 * math.sqrt(p * (1 - p) / sims)


@pytest.mark.parametrize(
    ("spending", "expected"),
    [
        # gsDesign: gsDesign(k=5, test.type=2, alpha=0.025, sfu=sfLDOF / sfLDPocock)$upper$bound
        ("obrien-fleming", [4.8769, 3.3569, 2.6803, 2.2898, 2.0310]),
        ("pocock", [2.4380, 2.4268, 2.4101, 2.3966, 2.3859]),
    ],
)
def test_boundaries_are_the_published_ones(spending: str, expected: list[float]) -> None:
    looks = boundaries(FIVE, 0.05, spending)  # type: ignore[arg-type]
    assert [round(look.boundary, 3) for look in looks] == pytest.approx(expected, abs=2e-3)
    assert looks[-1].alpha_spent == pytest.approx(0.05)


def test_a_single_final_look_is_the_fixed_test() -> None:
    [look] = boundaries([1.0], 0.05)
    assert look.boundary == pytest.approx(stats.norm.isf(0.025), abs=1e-6)
    assert float(alpha_spent(0.5, 0.05, "obrien-fleming")) < 0.006  # little spent halfway


def _cumulative_z(
    rng: np.random.Generator, sims: int, n: int, shift: float, at: list[int]
) -> np.ndarray:
    """z of the paired mean at each look (known unit variance), for `sims` experiments."""
    d = rng.normal(shift, 1.0, size=(sims, n))
    sums = np.cumsum(d, axis=1)[:, np.array(at) - 1]
    return sums / np.sqrt(at)


def _rejects(z: np.ndarray, bounds: list[float]) -> np.ndarray:
    return (np.abs(z) >= np.array(bounds)).any(axis=1)


@pytest.mark.parametrize("spending", ["obrien-fleming", "pocock"])
def test_under_the_null_repeated_looks_reject_at_alpha(spending: str) -> None:
    rng = np.random.default_rng(12)
    at = [40, 80, 120, 160, 200]
    z = _cumulative_z(rng, SIMS, 200, 0.0, at)
    bounds = [look.boundary for look in boundaries([k / 200 for k in at], 0.05, spending)]  # type: ignore[arg-type]
    rate = _rejects(z, bounds).mean()
    assert abs(rate - 0.05) < mc_tolerance(0.05)
    naive = _rejects(z, [stats.norm.isf(0.025)] * 5).mean()  # each look at the full alpha
    assert naive > 0.11  # about 14 %: what the spending rule prevents


def test_unplanned_uneven_looks_still_hold_alpha() -> None:
    rng = np.random.default_rng(99)
    at = [13, 50, 55, 140, 300]  # looks whenever someone asked
    z = _cumulative_z(rng, SIMS, 300, 0.0, at)
    bounds = [look.boundary for look in boundaries([k / 300 for k in at], 0.05)]
    assert abs(_rejects(z, bounds).mean() - 0.05) < mc_tolerance(0.05)


def test_a_planted_effect_is_found_as_often_as_the_computed_power() -> None:
    effect = 0.25  # standardised, per pair
    fractions = [0.25, 0.5, 0.75, 1.0]
    n = required_pairs(effect, 0.05, 0.8, fractions)
    fixed_n = required_pairs(effect, 0.05, 0.8)
    assert fixed_n < n < 1.05 * fixed_n  # O'Brien-Fleming costs a few per cent more pairs
    computed = power_at(n, effect, 0.05, fractions)
    assert computed == pytest.approx(0.8, abs=0.01)
    at = [round(f * n) for f in fractions]
    z = _cumulative_z(np.random.default_rng(5), SIMS, n, effect, at)
    bounds = [look.boundary for look in boundaries([k / n for k in at], 0.05)]
    assert abs(_rejects(z, bounds).mean() - computed) < mc_tolerance(computed)


def test_wilcoxon_power_matches_the_computed_power() -> None:
    """The continuous metrics' test, vectorised over simulated experiments: normal paired
    differences with d_z = 0.3, at the pairs the power computation asks for."""
    dz = 0.3
    n = required_pairs(dz * math.sqrt(WILCOXON_EFFICIENCY), 0.05, 0.8)
    d = np.random.default_rng(3).normal(dz, 1.0, size=(2000, n))
    p = stats.wilcoxon(d, axis=1, method="asymptotic").pvalue
    assert abs(np.mean(p < 0.05) - 0.8) < mc_tolerance(0.8, 2000)
