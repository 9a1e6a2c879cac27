"""quota_check: check-and-spend of a tenant's budgets for a provider, all or nothing.

Invoked directly (`{"tenant", "provider", "requests", "tokens", "cost_micro_usd"}` →
`{"allowed", "retry_after", "denied_by", "remaining"}`) or over HTTP (POST /quotas/check with
that body → 200 with that answer; a denial also carries `Retry-After` in whole seconds).
A check that cannot be decided (the store is down) raises / answers 503: never "allowed".
Limits: coderev.quotas.limits (CODEREV_QUOTAS_FILE, CODEREV_QUOTAS); the store:
bootstrap.quota_store() (REDIS_URL, else SQLite in the data dir).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response

from coderev import bootstrap
from coderev.http import error_handlers
from coderev.quotas.models import QuotaCheckAnswer, QuotaCheckRequest
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger()
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True)
error_handlers.install(app, logger, metrics)


def _check(request: QuotaCheckRequest) -> QuotaCheckAnswer:
    from coderev.quotas.check import check_quota

    answer = QuotaCheckAnswer.of(check_quota(bootstrap.quota_store(), request))
    count_outcome(metrics, "Allowed" if answer.allowed else "Denied")
    if not answer.allowed:
        denied_by = answer.model_dump()["denied_by"]
        logger.info("quota denied", extra={"tenant": request.tenant, "provider": request.provider,
                                           "denied_by": denied_by})  # fmt: skip
    return answer


@app.post("/quotas/check", summary="Check and spend a tenant's budgets for a provider")
def check(request: QuotaCheckRequest) -> Response[QuotaCheckAnswer]:
    answer = _check(request)
    headers = {} if answer.retry_after is None else \
        {"Retry-After": str(max(math.ceil(answer.retry_after), 1))}  # fmt: skip
    return Response(200, "application/json", answer, headers=headers)


def _invoke(event: dict[str, Any]) -> dict[str, Any]:
    from coderev.quotas.errors import InvalidQuotaRequestError

    request = error_handlers.direct_request(QuotaCheckRequest, event, InvalidQuotaRequestError)
    return _check(request).model_dump(mode="json")


@traced
@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return error_handlers.proxy_or_direct(app, metrics, event, context, _invoke)
