"""Group-sequential testing with an alpha-spending rule (Lan & DeMets, 1983).

A running experiment is looked at several times; testing each look at the full alpha would
reject a true null far more often than alpha (about 14 % for five looks at 5 %). An
alpha-spending function alpha(t) says how much of the type-I error may be spent by the
information fraction t (pairs seen / pairs planned); the boundary of look k is the |z| whose
crossing probability, having not crossed before, is alpha(t_k) - alpha(t_{k-1}). Looks may
come at any fractions, unplanned: only the fractions of the looks already taken matter.

The crossing probabilities are computed by the recursive numerical integration of Armitage,
McPherson & Rowe (1969) on the Brownian-motion scale B(t) = Z(t) sqrt(t) (Jennison &
Turnbull, 2000, ch. 19), on a uniform grid with trapezoid weights. Written here because no
maintained Python package offers it apart from large frameworks (spotify-confidence, which
pulls pandas and its own analysis model); the reference implementations (gsDesign, rpact,
ldbounds) are R. tests/unit/comparison checks it against published boundaries and by
simulation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import optimize, stats

__all__ = [
    "SPENDING_FUNCTIONS",
    "SequentialLook",
    "Spending",
    "alpha_spent",
    "boundaries",
    "crossing_probabilities",
    "drift_for_power",
]

Spending = Literal["obrien-fleming", "pocock"]
SPENDING_FUNCTIONS: tuple[Spending, ...] = ("obrien-fleming", "pocock")
_TAIL = 12.0  # |B| beyond 12 sqrt(t) has probability < 1e-32: where an open boundary is cut
_MAX_GRID = 4001


@dataclass(frozen=True, slots=True)
class SequentialLook:
    """One look: its information fraction, two-sided |z| boundary, and alpha spent so far."""

    fraction: float
    boundary: float
    alpha_spent: float


def alpha_spent(t: float | np.ndarray, alpha: float, spending: Spending) -> np.ndarray:
    """The two-sided alpha spent by information fraction t in [0, 1]: alpha/2 on each side,
    each spent by Lan & DeMets' one-sided function, as gsDesign and ldbounds do.

    obrien-fleming: 2 (2 - 2 Phi(z_{1-alpha/4} / sqrt(t))) spends almost nothing early;
    pocock: alpha ln(1 + (e - 1) t) spends evenly.
    """
    tt = np.clip(np.asarray(t, dtype=float), 0.0, 1.0)
    if spending == "obrien-fleming":
        with np.errstate(divide="ignore"):
            spent = 4.0 * stats.norm.sf(stats.norm.isf(alpha / 4) / np.sqrt(tt))
        return np.where(tt > 0, spent, 0.0)
    if spending == "pocock":
        return np.asarray(alpha * np.log1p((math.e - 1.0) * tt))
    raise ValueError(f"unknown spending function {spending!r}")


def _check_fractions(fractions: Sequence[float]) -> np.ndarray:
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.any(t <= 0) or np.any(t > 1) or np.any(np.diff(t) <= 0):
        raise ValueError(f"information fractions must increase within (0, 1]: {list(t)}")
    return t


def _grid(half_width: float, step_sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Points on [-half_width, half_width] at most step_sd / 8 apart, with trapezoid weights."""
    m = int(min(_MAX_GRID, max(201, math.ceil(2 * half_width / (step_sd / 8)) + 1)))
    m += (m + 1) % 2  # odd: zero is a point
    x = np.linspace(-half_width, half_width, m)
    w = np.full(m, x[1] - x[0])
    w[[0, -1]] /= 2
    return x, w


class _Recursion:
    """The sub-density of B(t_k) on the continuation region of looks 1..k (mass = P(no
    crossing yet)), advanced look by look under drift theta (E[Z(1)] = theta)."""

    def __init__(self, theta: float) -> None:
        self.theta = theta
        self.t = 0.0
        self.x = np.zeros(1)
        self.w = np.ones(1)
        self.f = np.ones(1)  # B(0) = 0 with mass 1: a point, weight 1

    def crossing(self, t: float, c: float) -> float:
        """P(no crossing before, |B(t)| >= c sqrt(t))."""
        sd = math.sqrt(t - self.t)
        mean = self.x + self.theta * (t - self.t)
        edge = c * math.sqrt(t)
        p = stats.norm.cdf((-edge - mean) / sd) + stats.norm.sf((edge - mean) / sd)
        return float(np.sum(self.w * self.f * p))

    def excess(self, c: float, t: float, target: float) -> float:
        return self.crossing(t, c) - target

    def advance(self, t: float, c: float) -> None:
        sd = math.sqrt(t - self.t)
        half = min(c, _TAIL) * math.sqrt(t)
        y, wy = _grid(half, sd)
        kernel = stats.norm.pdf((y[:, None] - self.x[None, :] - self.theta * (t - self.t)) / sd)
        self.f = kernel @ (self.w * self.f) / sd
        self.x, self.w, self.t = y, wy, t


def boundaries(
    fractions: Sequence[float], alpha: float = 0.05, spending: Spending = "obrien-fleming"
) -> list[SequentialLook]:
    """The two-sided |z| boundary of each look at these information fractions (the last
    look spends all of alpha when its fraction is 1)."""
    return list(_boundaries(tuple(float(f) for f in fractions), alpha, spending))


@lru_cache(maxsize=256)  # a running experiment asks for the same looks again and again
def _boundaries(
    fractions: tuple[float, ...], alpha: float, spending: Spending
) -> tuple[SequentialLook, ...]:
    t = _check_fractions(fractions)
    spent = alpha_spent(t, alpha, spending)
    increments = np.diff(np.concatenate([[0.0], spent]))
    rec = _Recursion(0.0)
    looks = []
    for tk, inc, total in zip(t, increments, spent, strict=True):
        if inc <= 1e-15:
            c = math.inf
        else:
            c = float(
                optimize.brentq(rec.excess, 0.0, 40.0, args=(float(tk), float(inc)), xtol=1e-10)
            )
        looks.append(SequentialLook(float(tk), c, float(total)))
        rec.advance(tk, c)
    return tuple(looks)


def crossing_probabilities(
    fractions: Sequence[float], bounds: Sequence[float], theta: float
) -> list[float]:
    """P(the first crossing is at look k) when E[Z(1)] = theta; their sum is the power (theta
    != 0) or the type-I error (theta = 0)."""
    t = _check_fractions(fractions)
    rec = _Recursion(theta)
    out = []
    for tk, c in zip(t, bounds, strict=True):
        out.append(rec.crossing(float(tk), min(float(c), 40.0)))
        rec.advance(float(tk), float(c))
    return out


def drift_for_power(
    power: float,
    alpha: float = 0.05,
    fractions: Sequence[float] = (1.0,),
    spending: Spending = "obrien-fleming",
) -> float:
    """The drift theta = E[Z(1)] at which this design rejects with probability `power`: the
    fixed design's z_{1-alpha/2} + z_{power} times the group-sequential inflation."""
    return _drift(power, alpha, tuple(float(f) for f in fractions), spending)


@lru_cache(maxsize=256)
def _drift(power: float, alpha: float, fractions: tuple[float, ...], spending: Spending) -> float:
    t = _check_fractions(fractions)
    if t[-1] != 1.0:
        t = np.append(t, 1.0)
    bounds = [look.boundary for look in boundaries(t.tolist(), alpha, spending)]
    fixed = float(stats.norm.isf(alpha / 2) + stats.norm.ppf(power))
    if len(t) == 1:
        return fixed

    def short(theta: float) -> float:
        return float(np.sum(crossing_probabilities(t.tolist(), bounds, theta))) - power

    return float(optimize.brentq(short, 0.0, 2 * fixed + 2, xtol=1e-8))
