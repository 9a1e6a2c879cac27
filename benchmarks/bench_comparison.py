"""Comparison speed: 10,000 paired samples compared in under 1 s, against a bare numpy
mean difference of the same arrays in the same run.

The subject is coderev.comparison.compare over one synthetic experiment of `--pairs` tasks
with four metrics (precision as a ratio of sums, cost and latency continuous, failure
binary): a 2,000-resample paired bootstrap of every metric, McNemar / Wilcoxon / delta-method
tests, a sequential plan with three earlier looks (the primary's test at each) and the power
computation. A second figure adds the request model (the JSON body of those pairs parsed and
turned into arrays), what the comparison function does per request. The anchor is
`np.mean(candidate - baseline)` of the cost arrays: the least a comparison can compute.
Best of `--rounds`; prints JSON, then one line per figure with its ratio to the anchor.

    python benchmarks/bench_comparison.py [--pairs 10000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from coderev.comparison import KNOWN_METRICS, ComparisonPlan, PairedMetric, SequentialPlan, compare
from coderev.comparison.models import ComparisonRequest

TARGET_S = 1.0


def experiment(n: int, seed: int = 1) -> dict[str, PairedMetric]:
    rng = np.random.default_rng(seed)
    labelled = rng.integers(1, 10, size=n)
    ratio = [
        np.column_stack([rng.binomial(labelled, p), labelled]).astype(float) for p in (0.60, 0.62)
    ]
    cost = rng.gamma(2.0, 0.01, size=n)
    latency = rng.gamma(6.0, 2.0, size=n)
    return {
        "precision": PairedMetric(KNOWN_METRICS["precision"], *ratio),
        "cost_usd": PairedMetric(
            KNOWN_METRICS["cost_usd"], cost, cost * rng.normal(1.01, 0.1, size=n)
        ),
        "latency_s": PairedMetric(
            KNOWN_METRICS["latency_s"], latency, latency + rng.normal(0, 1, size=n)
        ),
        "failed": PairedMetric(
            KNOWN_METRICS["failed"],
            (rng.random(n) < 0.05).astype(float),
            (rng.random(n) < 0.05).astype(float),
        ),
    }


def body(metrics: dict[str, PairedMetric], plan: dict[str, Any]) -> str:
    n = len(metrics["cost_usd"].baseline)

    def arm(i: int, side: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, m in metrics.items():
            v = getattr(m, side)[i]
            out[name] = (
                v.tolist()
                if m.spec.kind == "ratio"
                else bool(v)
                if m.spec.kind == "binary"
                else float(v)
            )
        return out

    pairs = [
        {"task": f"t{i}", "baseline": arm(i, "baseline"), "candidate": arm(i, "candidate")}
        for i in range(n)
    ]
    return json.dumps({**plan, "pairs": pairs})


def best(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    n = args.pairs
    metrics = experiment(n)
    looks = (n // 4, n // 2, 3 * n // 4)
    plan = ComparisonPlan(
        "precision",
        ("cost_usd", "latency_s", "failed"),
        mde=0.01,
        sequential=SequentialPlan(n + n // 4, looks),
    )
    request = body(
        metrics,
        {
            "primary": "precision",
            "guards": ["cost_usd", "latency_s", "failed"],
            "mde": 0.01,
            "sequential": {"max_pairs": n + n // 4, "looks": list(looks)},
        },
    )
    cost = metrics["cost_usd"]

    def from_request() -> object:
        parsed = ComparisonRequest.model_validate_json(request)
        return compare(parsed.paired_metrics(), parsed.plan())

    compare(metrics, plan)  # warm: imports, the cached boundaries are not reused across n
    anchor = best(lambda: float(np.mean(cost.candidate - cost.baseline)), args.rounds)
    subject = best(lambda: compare(metrics, plan), args.rounds)
    full = best(from_request, args.rounds)
    figures = {
        "pairs": n,
        "metrics": len(metrics),
        "resamples": plan.resamples,
        "anchor_numpy_mean_difference_s": anchor,
        "compare_s": subject,
        "request_and_compare_s": full,
        "target_s": TARGET_S,
    }
    print(json.dumps(figures, indent=2))
    print(f"numpy mean difference        {anchor * 1e3:9.3f} ms  1x (anchor)")
    print(
        f"compare (stats only)         {subject * 1e3:9.3f} ms  {subject / anchor:,.0f}x anchor"
        f"  {'under' if subject < TARGET_S else 'OVER'} {TARGET_S:g} s"
    )
    print(
        f"request model + compare      {full * 1e3:9.3f} ms  {full / anchor:,.0f}x anchor"
        f"  {'under' if full < TARGET_S else 'OVER'} {TARGET_S:g} s"
    )


if __name__ == "__main__":
    main()
