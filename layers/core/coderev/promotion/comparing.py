"""The Comparator on coderev.comparison's library, in-process: the same request and seed give
the same result as the comparison function (numpy and scipy load on first use)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LibraryComparator"]


class LibraryComparator:
    def compare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        from coderev.comparison.models import ComparisonRequest
        from coderev.comparison.paired_comparison import compare

        parsed = ComparisonRequest.model_validate(dict(request))
        return compare(parsed.paired_metrics(), parsed.plan()).as_dict()
