"""compare(): the paired comparison of two arms over the same tasks, and its recommendation.

Per metric: the estimate (candidate - baseline), a paired bootstrap CI (every metric from the
same seeded resamples of tasks), the metric kind's paired test and effect sizes. The primary
metric is decided by the sequential plan's boundary when there is one (looks at the pairs
counted so far, recomputed from the task-ordered data, so the answer needs no stored state),
else by its p-value at alpha. Guards are judged by their CI. The recommendation is promote
only when the primary metric is significantly better and no guard regressed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coderev.comparison import paired
from coderev.comparison.bootstrap import resampled_sums
from coderev.comparison.errors import InvalidComparisonRequestError
from coderev.comparison.metrics import PairedMetric
from coderev.comparison.power import per_pair_effect, power_at, required_pairs
from coderev.comparison.result import (
    ComparisonResult,
    LookResult,
    MetricResult,
    PowerResult,
    Reason,
    Recommendation,
    SequentialResult,
)
from coderev.comparison.sequential import Spending, boundaries

__all__ = ["ComparisonPlan", "SequentialPlan", "compare", "paired_test"]


@dataclass(frozen=True, slots=True)
class SequentialPlan:
    max_pairs: int  # the pairs planned in all: information fraction = pairs / max_pairs
    looks: tuple[int, ...] = ()  # pairs at the looks already taken, before this one
    spending: Spending = "obrien-fleming"


@dataclass(frozen=True, slots=True)
class ComparisonPlan:
    primary: str
    guards: tuple[str, ...] = ()
    alpha: float = 0.05
    power: float = 0.8
    mde: float | None = None  # minimum detectable effect of the primary metric, its units
    min_pairs: int = 10
    seed: int = 0
    resamples: int = 2000
    sequential: SequentialPlan | None = None


def paired_test(metric: PairedMetric, upto: int | None = None) -> paired.PairedTest:
    """The metric kind's paired test on the pairs of the first `upto` tasks."""
    a, b = metric.present(upto)
    if metric.spec.kind == "binary":
        return paired.mcnemar(a, b)
    if metric.spec.kind == "continuous":
        return paired.wilcoxon_signed_rank(a, b)
    return paired.ratio_delta(a[:, 0], a[:, 1], b[:, 0], b[:, 1])


def compare(metrics: Mapping[str, PairedMetric], plan: ComparisonPlan) -> ComparisonResult:
    _check(metrics, plan)
    n = len(next(iter(metrics.values())).baseline)
    names = list(metrics)
    blocks = [metrics[m].bootstrap_columns() for m in names]
    columns = np.column_stack(blocks)
    observed, drawn = columns.sum(axis=0), resampled_sums(columns, plan.resamples, plan.seed)
    sequential = _sequential(metrics[plan.primary], plan, n) if plan.sequential else None
    results, start = {}, 0
    for name, block in zip(names, blocks, strict=True):
        width = block.shape[1]
        cut = slice(start, start + width)
        start += width
        results[name] = _metric(metrics[name], plan, observed[cut], drawn[:, cut], sequential)
    power = _power(metrics[plan.primary], plan, n) if plan.mde is not None else None
    recommendation = _recommend(results, plan, n, sequential, power)
    return ComparisonResult(
        n,
        plan.alpha,
        plan.seed,
        plan.resamples,
        plan.primary,
        plan.guards,
        results,
        sequential,
        power,
        recommendation,
    )


def _check(metrics: Mapping[str, PairedMetric], plan: ComparisonPlan) -> None:
    missing = [m for m in (plan.primary, *plan.guards) if m not in metrics]
    if missing:
        raise InvalidComparisonRequestError(f"no values for metric(s): {', '.join(missing)}")
    lengths = {len(m.baseline) for m in metrics.values()} | {
        len(m.candidate) for m in metrics.values()
    }
    if len(lengths) != 1 or min(lengths) < 2:
        raise InvalidComparisonRequestError("every metric needs the same tasks, at least 2")
    if plan.sequential and plan.sequential.looks:
        looks = plan.sequential.looks
        if any(b <= a for a, b in itertools.pairwise(looks)) or looks[0] < 2:
            raise InvalidComparisonRequestError("sequential looks must increase from 2 pairs")
        if looks[-1] >= min(lengths):
            raise InvalidComparisonRequestError(
                f"a look at {looks[-1]} pairs was taken, but only {min(lengths)} are given"
            )


def _summary(metric: PairedMetric, sums: np.ndarray) -> tuple[float | None, float | None]:
    a, b = metric.present()
    if a.shape[0] == 0:
        return None, None
    if metric.spec.kind == "ratio":
        den_a, den_b = float(sums[1]), float(sums[3])
        return (
            float(sums[0]) / den_a if den_a else None,
            float(sums[2]) / den_b if den_b else None,
        )
    return float(np.mean(a)), float(np.mean(b))


def _metric(
    metric: PairedMetric,
    plan: ComparisonPlan,
    observed: np.ndarray,
    drawn: np.ndarray,
    sequential: SequentialResult | None,
) -> MetricResult:
    spec = metric.spec
    role: Literal["primary", "guard", "secondary"] = (
        "primary"
        if spec.name == plan.primary
        else "guard"
        if spec.name in plan.guards
        else "secondary"
    )
    estimate = float(metric.estimate_from_sums(observed))
    boot = metric.estimate_from_sums(drawn)
    boot = boot[np.isfinite(boot)]
    lo, hi = (
        (float(v) for v in np.quantile(boot, [plan.alpha / 2, 1 - plan.alpha / 2]))
        if boot.size
        else (math.nan, math.nan)
    )
    test = paired_test(metric)
    if role == "primary" and sequential is not None:
        crossed = [look for look in sequential.looks if look.crossed]
        significant = bool(crossed)
        sign = crossed[0].z if crossed else 0.0
    else:
        significant, sign = test.p_value < plan.alpha, test.z
    better = 1.0 if spec.higher_is_better else -1.0
    direction: Literal["better", "worse", "none"] = (
        "none" if not significant or sign == 0 else ("better" if sign * better > 0 else "worse")
    )
    worst, best = sorted((better * lo, better * hi))  # the CI in "better" units
    baseline, candidate = _summary(metric, observed)
    return MetricResult(
        name=spec.name,
        role=role,
        kind=spec.kind,
        higher_is_better=spec.higher_is_better,
        n=int(metric.present()[0].shape[0]),
        baseline=baseline,
        candidate=candidate,
        estimate=estimate,
        relative=estimate / baseline if baseline else None,
        ci=(lo, hi),
        test=test.test,
        p_value=test.p_value,
        z=test.z,
        effect_sizes=test.effect_sizes,
        significant=significant,
        direction=direction,
        margin=spec.margin,
        regression=best < 0,
        excludes_regression=worst > -spec.margin,
    )


def _sequential(primary: PairedMetric, plan: ComparisonPlan, n: int) -> SequentialResult:
    seq = plan.sequential
    assert seq is not None
    pairs: list[int] = []
    for k in (*seq.looks, n):
        pairs.append(k)
        if k >= seq.max_pairs:
            break  # the final look: nothing is tested after it
    fractions = [min(k / seq.max_pairs, 1.0) for k in pairs]
    planned = boundaries(fractions, plan.alpha, seq.spending)
    looks = []
    for k, look in zip(pairs, planned, strict=True):
        z = paired_test(primary, k).z
        bound = look.boundary if math.isfinite(look.boundary) else None
        looks.append(LookResult(k, look.fraction, bound, z, bound is not None and abs(z) >= bound))
    stopped = next((look.pairs for look in looks if look.crossed), None)
    return SequentialResult(
        seq.spending,
        seq.max_pairs,
        tuple(looks),
        planned[-1].alpha_spent,
        stopped,
        fractions[-1] >= 1.0,
    )


def _spread(primary: PairedMetric) -> float:
    a, b = primary.present()
    if primary.spec.kind == "binary":
        return float(np.mean(a.astype(bool) != b.astype(bool))) if a.size else 0.0
    if primary.spec.kind == "continuous":
        return float(np.std(b - a, ddof=1)) if a.size > 1 else 0.0
    if a.shape[0] < 2 or a[:, 1].sum() <= 0 or b[:, 1].sum() <= 0:
        return 0.0
    r_a, r_b = a[:, 0].sum() / a[:, 1].sum(), b[:, 0].sum() / b[:, 1].sum()
    linear = (b[:, 0] - r_b * b[:, 1]) / b[:, 1].mean() - (a[:, 0] - r_a * a[:, 1]) / a[:, 1].mean()
    return float(np.std(linear, ddof=1))


def _power(primary: PairedMetric, plan: ComparisonPlan, n: int) -> PowerResult:
    assert plan.mde is not None
    effect = per_pair_effect(primary.spec.kind, plan.mde, _spread(primary))
    if effect is None:
        return PowerResult(plan.mde, plan.power, None, None, None)
    seq = plan.sequential
    if seq is None:
        return PowerResult(
            plan.mde,
            plan.power,
            effect,
            required_pairs(effect, plan.alpha, plan.power),
            power_at(n, effect, plan.alpha),
        )
    fractions = sorted({min(k / seq.max_pairs, 1.0) for k in (*seq.looks, n)})
    return PowerResult(
        plan.mde,
        plan.power,
        effect,
        required_pairs(effect, plan.alpha, plan.power, fractions, seq.spending),
        power_at(seq.max_pairs, effect, plan.alpha, fractions, seq.spending),
    )


def _recommend(
    results: Mapping[str, MetricResult],
    plan: ComparisonPlan,
    n: int,
    sequential: SequentialResult | None,
    power: PowerResult | None,
) -> Recommendation:
    primary = results[plan.primary]
    blocking: list[Reason] = []
    for g in plan.guards:
        r = results[g]
        if r.regression:
            blocking.append(
                Reason(
                    "guard_regressed",
                    g,
                    f"{g} is significantly worse: "
                    f"{_fmt(r.estimate)} (CI {_fmt(r.ci[0])} to {_fmt(r.ci[1])})",
                )
            )
        elif r.margin > 0 and not r.excludes_regression:
            blocking.append(
                Reason(
                    "guard_not_excluded",
                    g,
                    f"{g}: the CI does not exclude a regression beyond the margin {r.margin:g}",
                )
            )
    if n < plan.min_pairs:
        return Recommendation(
            "inconclusive",
            (
                Reason("too_few_pairs", None, f"{n} pairs; at least {plan.min_pairs} are needed"),
                *blocking,
            ),
        )
    if primary.direction == "worse":
        return Recommendation(
            "keep",
            (
                Reason(
                    "primary_worse",
                    plan.primary,
                    f"{plan.primary} is significantly worse: {_fmt(primary.estimate)}",
                ),
                *blocking,
            ),
        )
    if primary.direction == "better":
        better = Reason(
            "primary_better",
            plan.primary,
            f"{plan.primary} is significantly better: {_fmt(primary.estimate)} "
            f"(CI {_fmt(primary.ci[0])} to {_fmt(primary.ci[1])})",
        )
        if any(r.code == "guard_regressed" for r in blocking):
            return Recommendation("keep", (better, *blocking))
        if blocking:
            return Recommendation("inconclusive", (better, *blocking))
        return Recommendation("promote", (better,))
    if sequential is not None and not sequential.final:
        reason = Reason(
            "continue",
            plan.primary,
            f"no boundary crossed at {n} of "
            f"{sequential.max_pairs} planned pairs; keep the experiment running",
        )
        return Recommendation(
            "keep" if _any_regressed(blocking) else "inconclusive", (reason, *blocking)
        )
    if (
        sequential is None
        and power is not None
        and power.required_pairs is not None
        and n < power.required_pairs
    ):
        reason = Reason(
            "underpowered",
            plan.primary,
            f"no significant difference in {n} pairs; "
            f"{power.required_pairs} are needed to detect {power.mde:g}",
        )
        return Recommendation(
            "keep" if _any_regressed(blocking) else "inconclusive", (reason, *blocking)
        )
    return Recommendation(
        "keep",
        (
            Reason(
                "no_difference",
                plan.primary,
                f"{plan.primary}: no significant difference in {n} pairs",
            ),
            *blocking,
        ),
    )


def _any_regressed(reasons: list[Reason]) -> bool:
    return any(r.code == "guard_regressed" for r in reasons)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:+.4g}"
