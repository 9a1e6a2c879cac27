"""The quota_check function's request and answer (pydantic: the edge), for invoke and HTTP."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coderev.ports import QuotaDecision
from coderev.quotas.limits import NAME

__all__ = ["DeniedBy", "QuotaCheckAnswer", "QuotaCheckRequest"]


class QuotaCheckRequest(BaseModel):
    """Spend `requests`, `tokens` and `cost_micro_usd` of `tenant`'s budgets for `provider`,
    all or nothing."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(default="default", pattern=NAME.pattern, description="Who spends.")
    provider: str = Field(pattern=NAME.pattern, description="The provider to be called.")
    requests: int = Field(default=1, ge=0, description="Requests to spend (default 1).")
    tokens: int = Field(default=0, ge=0, description="Tokens to spend (an estimate is fine: "
                        "refund what was not used).")  # fmt: skip
    cost_micro_usd: int = Field(default=0, ge=0, description="Cost to spend, in millionths "
                                "of a US dollar.")  # fmt: skip

    def amounts(self) -> dict[str, int]:
        return {"requests": self.requests, "tokens": self.tokens,
                "cost_micro_usd": self.cost_micro_usd}  # fmt: skip


class DeniedBy(BaseModel):
    scope: str
    metric: str
    window: str
    limit: int


class QuotaCheckAnswer(BaseModel):
    """allowed: spent; else nothing was spent, `denied_by` names the first full budget and
    `retry_after` says in how many seconds every budget that denied resets."""

    allowed: bool
    retry_after: float | None = Field(description="Seconds until the denying window resets.")
    denied_by: DeniedBy | None
    remaining: dict[str, int] = Field(
        description='What is left per budget, by "scope|metric|window".'
    )

    @classmethod
    def of(cls, decision: QuotaDecision) -> QuotaCheckAnswer:
        by, retry_after = decision.denied_by, decision.retry_after_s
        return cls(
            allowed=decision.allowed,
            retry_after=None if retry_after is None else round(retry_after, 3),
            denied_by=None if by is None else DeniedBy(scope=by.scope, metric=by.metric,
                                                       window=by.window, limit=by.limit),
            remaining=dict(decision.remaining),
        )  # fmt: skip
