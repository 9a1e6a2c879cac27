"""The API Gateway REQUEST authorizer: verifies the bearer token (a JWT or an API key) and
asks the access policy whether its principal may take the route's action.

Answers an IAM policy for the route (Allow or Deny) with the principal in `context`
(tenant, roles, kind, scopes), which API Gateway caches per token and route
(template.yaml: ReauthorizeEvery) and passes to the handler in
`requestContext.authorizer`. A missing or invalid token raises "Unauthorized" (401); a
policy engine that cannot answer fails the authorizer (API Gateway: 500). Never logs a token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

from coderev import bootstrap
from coderev.service.observability import count_outcome, traced

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from coderev.auth.principal import Principal

logger = Logger()
metrics = Metrics()


def _verify(token: str) -> Principal:
    from coderev.auth.verify import verify_bearer
    from coderev.config import get_settings

    return verify_bearer(token, get_settings())


@traced
@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from coderev.policy.authorizer import Unauthorized, authorize

    try:
        answer = authorize(event, verify=_verify, engine=bootstrap.policy_engine())
    except Unauthorized:
        count_outcome(metrics, "Unauthorized")
        raise
    decision = answer.decision
    logger.info("decided", extra={
        "subject": answer.principal.subject, "tenant": answer.principal.tenant,
        "kind": answer.principal.kind, "action": decision.action, "allow": decision.allow,
        "reasons": list(decision.reasons),
    })  # fmt: skip
    count_outcome(metrics, "Allowed" if decision.allow else "Denied")
    return answer.policy()
