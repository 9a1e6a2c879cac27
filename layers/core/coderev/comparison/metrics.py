"""One metric's paired values as arrays (see coderev.comparison.catalogue for the kinds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coderev.comparison.catalogue import KNOWN_METRICS, MetricKind, MetricSpec

__all__ = ["KNOWN_METRICS", "MetricKind", "MetricSpec", "PairedMetric"]


@dataclass(frozen=True, slots=True)
class PairedMetric:
    """One metric's values in task order: shape (n,) for binary and continuous, (n, 2) as
    (numerator, denominator) for ratios; NaN where an arm has no value for a task."""

    spec: MetricSpec
    baseline: np.ndarray
    candidate: np.ndarray

    def present(self, upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The pairs (of the first `upto` tasks) where both arms have a value."""
        a, b = self.baseline[:upto], self.candidate[:upto]
        ok = ~(np.isnan(a) | np.isnan(b))
        if ok.ndim == 2:
            ok = ok.all(axis=1)
        return a[ok], b[ok]

    def bootstrap_columns(self) -> np.ndarray:
        """Per-task columns whose resampled sums give the estimate (see `estimate_from_sums`):
        (difference, present) or (num_a, den_a, num_b, den_b), zero where a value is missing."""
        a, b = self.baseline, self.candidate
        ok = ~(np.isnan(a) | np.isnan(b))
        if self.spec.kind == "ratio":
            ok = ok.all(axis=1)
            cols = np.column_stack([a, b])
            return np.where(ok[:, None], cols, 0.0)
        return np.column_stack([np.where(ok, b - a, 0.0), ok.astype(float)])

    def estimate_from_sums(self, sums: np.ndarray) -> np.ndarray:
        """The candidate-minus-baseline estimate from column sums (rows: resamples)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.spec.kind == "ratio":
                out = sums[..., 2] / sums[..., 3] - sums[..., 0] / sums[..., 1]
            else:
                out = sums[..., 0] / sums[..., 1]
        return np.asarray(out)
