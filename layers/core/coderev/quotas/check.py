"""The quota_check use case: the configured limits of a tenant and provider, checked and
spent in one atomic step of the store."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from coderev.quotas.limits import limits_for

if TYPE_CHECKING:
    from coderev.ports import QuotaDecision, QuotaStore
    from coderev.quotas.models import QuotaCheckRequest

__all__ = ["check_quota"]


def check_quota(
    store: QuotaStore, request: QuotaCheckRequest, now: datetime | None = None
) -> QuotaDecision:
    """Spend `request`'s amounts from every limit of its tenant and provider, or nothing."""
    return store.check_and_spend(limits_for(request.tenant, request.provider),
                                 request.amounts(), now)  # fmt: skip
