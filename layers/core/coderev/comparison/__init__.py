"""Comparison: is a candidate review configuration better than the one in force, with evidence?

Paired analysis of two arms over the same tasks (analyses or labelled corpus items): precision
against labels, acceptance, comments per KLOC, cost, latency, failure rate.

- `metrics`: metric kinds (binary, continuous, ratio of sums) and the catalogue of coderev's.
- `paired`: McNemar, Wilcoxon signed-rank and the delta-method z, with effect sizes (scipy).
- `bootstrap`: the seeded paired bootstrap, every metric from the same resamples.
- `sequential`: Lan-DeMets alpha spending (O'Brien-Fleming or Pocock type) for repeated looks.
- `power`: power and the pairs needed for a minimum detectable effect, fixed or sequential.
- `paired_comparison`: compare(), the use case: per-metric results and a recommendation
  (promote / keep / inconclusive, with reasons); `result`: its plain-JSON form for the
  promotion policy.
- `models`: the request at the edge (pydantic); `offline`: replays two configurations' reports
  on the labelled precision corpus as paired observations.

numpy and scipy are the `stats` extra; nothing here is imported by a handler at cold start.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "KNOWN_METRICS",
    "ComparisonPlan",
    "ComparisonResult",
    "InvalidComparisonRequestError",
    "MetricSpec",
    "PairedMetric",
    "SequentialPlan",
    "compare",
]
_HOME = {
    "KNOWN_METRICS": "catalogue",
    "MetricSpec": "catalogue",
    "PairedMetric": "metrics",
    "ComparisonPlan": "paired_comparison",
    "SequentialPlan": "paired_comparison",
    "compare": "paired_comparison",
    "ComparisonResult": "result",
    "InvalidComparisonRequestError": "errors",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: importing the room loads neither numpy nor
    scipy (the request model is read by the handler at cold start)."""
    if name in _HOME:
        return getattr(import_module(f"coderev.comparison.{_HOME[name]}"), name)
    raise AttributeError(f"module 'coderev.comparison' has no attribute {name!r}")
