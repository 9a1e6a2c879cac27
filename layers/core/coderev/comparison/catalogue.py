"""What is compared: metric kinds, specifications, and the catalogue of coderev's own metrics.

A metric is binary (one 0/1 per task and arm: failed, accepted), continuous (a number: cost,
latency) or a ratio of sums (a numerator and a denominator per task: useful / labelled
findings, accepted / rated comments, comments / KLOC). The catalogue names the metrics coderev
itself records, with the direction that counts as better; others are declared per request.
No numpy here: the request model reads it at cold start.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["KNOWN_METRICS", "MetricKind", "MetricSpec"]

MetricKind = Literal["binary", "continuous", "ratio"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: MetricKind
    higher_is_better: bool
    margin: float = 0.0  # the regression a guard tolerates, in the metric's units (>= 0)


KNOWN_METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("precision", "ratio", higher_is_better=True),  # useful / labelled
        MetricSpec("acceptance", "ratio", higher_is_better=True),  # accepted / rated
        # more comments per KLOC is more for a reviewer to read: noise unless shown useful
        MetricSpec("comments_per_kloc", "ratio", higher_is_better=False),
        MetricSpec("cost_usd", "continuous", higher_is_better=False),
        MetricSpec("latency_s", "continuous", higher_is_better=False),
        MetricSpec("failed", "binary", higher_is_better=False),  # the failure rate
    )
}
