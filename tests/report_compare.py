"""What two reports of the same code must agree on, whichever path wrote them.

Times differ (`generated_at`, `timings`), and so do the analysis id and its project: a review
on the platform has both (its feedback links name them, `review_context.analysis_id` and
`.project`; an upload to `coderev serve` lands in the tenant's `default` project), a direct
review neither.
"""

from __future__ import annotations

from typing import Any

VOLATILE = ("generated_at", "timings")


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in report.items() if key not in VOLATILE}
    if isinstance(out.get("review_context"), dict):
        out["review_context"] = {**out["review_context"], "analysis_id": None, "project": None}
    return out
