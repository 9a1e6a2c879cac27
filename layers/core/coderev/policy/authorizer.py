"""The API Gateway REQUEST authorizer's use case: a token and a route in, an IAM policy out.

API Gateway (and the local gateway, which does the same) calls it with the request's headers,
`httpMethod`, `resource` (the route's template, "/analyses/{id}") and `methodArn`. The bearer
token is verified (`coderev.auth.verify.verify_bearer`: a JWT or an API key), the policy
decides whether the principal may take the route's action, and the answer is an IAM policy
Allowing or Denying this route (`execute-api:Invoke` on the method ARN with the path's
parameters as `*`: the template caches it per token and route, so it must hold for any
`/analyses/{id}`) with the principal as `context` (`Principal.to_context`), which handlers
read back with `Principal.from_context`. No token, or one that does not verify:
`Unauthorized` is raised, which API Gateway answers 401. A policy engine that cannot decide
raises PolicyEngineError: the authorizer fails, and API Gateway answers 500 (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coderev.policy.decision import AUTHZ_PATH, authz_input

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.ports import Decision, PolicyEngine

__all__ = ["AuthorizerAnswer", "Unauthorized", "authorize", "route_arn"]

_PARAMETER = re.compile(r"\{[^/{}]+\}")


class Unauthorized(Exception):
    """No token, or one that does not verify: API Gateway answers 401 when an authorizer
    fails with exactly the message "Unauthorized"."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@dataclass(frozen=True)
class AuthorizerAnswer:
    """What was decided, for the handler's log line and its IAM policy."""

    principal: Principal
    decision: Decision
    resource_arn: str

    def policy(self) -> dict[str, Any]:
        """The authorizer's response: principalId, policyDocument and context."""
        context: dict[str, str] = {**self.principal.to_context(),
                                   "action": self.decision.action}  # fmt: skip
        return {
            "principalId": self.principal.subject,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Action": "execute-api:Invoke",
                        "Effect": "Allow" if self.decision.allow else "Deny",
                        "Resource": self.resource_arn,
                    }
                ],
            },
            "context": context,
        }


def authorize(
    event: Mapping[str, Any],
    *,
    verify: Callable[[str], Principal],
    engine: PolicyEngine,
) -> AuthorizerAnswer:
    """Decide one REQUEST authorizer event; Unauthorized without a verified token."""
    from coderev.auth.errors import AuthenticationError

    token = _header(event, "Authorization")
    if not token:
        raise Unauthorized
    try:
        principal = verify(token)
    except AuthenticationError:
        raise Unauthorized from None
    context = event.get("requestContext") or {}
    method = str(event.get("httpMethod") or context.get("httpMethod") or "")
    resource = str(event.get("resource") or context.get("resourcePath") or "")
    decision = engine.decide(AUTHZ_PATH, authz_input(principal, method=method, resource=resource))
    return AuthorizerAnswer(principal, decision, route_arn(str(event.get("methodArn", "")),
                                                           method, resource))  # fmt: skip


def route_arn(method_arn: str, method: str, resource: str) -> str:
    """The ARN of every request to the route: `methodArn` up to the stage, then the method
    and the resource template with each path parameter as `*`."""
    api, _, _rest = method_arn.partition("/")
    stage = _rest.partition("/")[0]
    path = _PARAMETER.sub("*", resource).lstrip("/")
    return f"{api}/{stage}/{method.upper() or '*'}/{path}"


def _header(event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == wanted and isinstance(value, str):
            return value
    return None
