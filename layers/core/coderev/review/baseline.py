"""Baseline marking: which findings are new since the baseline, which existed, which got fixed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from coderev.domain.findings import Finding, FindingStatus
from coderev.domain.report import FindingsDrift


def mark_findings(
    findings: Sequence[Finding], baseline_fingerprints: Collection[str]
) -> tuple[list[Finding], FindingsDrift]:
    """Each finding marked `existing` when its fingerprint is in the baseline, else `new`.

    The drift counts both, and lists (sorted) the baseline fingerprints no finding has now:
    the problems fixed since the baseline.
    """
    baseline = frozenset(baseline_fingerprints)
    marked = [
        f.with_status(FindingStatus.EXISTING if f.fingerprint in baseline else FindingStatus.NEW)
        for f in findings
    ]
    current = {f.fingerprint for f in findings}
    existing = sum(1 for f in marked if f.status is FindingStatus.EXISTING)
    drift = FindingsDrift(
        new=len(marked) - existing,
        existing=existing,
        fixed=tuple(sorted(baseline - current)),
    )
    return marked, drift
