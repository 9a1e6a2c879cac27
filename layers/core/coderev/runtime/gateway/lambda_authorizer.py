"""Lambda authorizers as API Gateway runs them, behind the gateway's authorizer hook.

For each `Auth.Authorizers` entry with a FunctionArn, `LambdaAuthorizer` builds the TOKEN
event (`{"type": "TOKEN", "authorizationToken", "methodArn"}`) or the REQUEST event (the
proxy event plus `type` and `methodArn`), invokes the function through the invoker and
evaluates the IAM policy it returns against the method ARN: an explicit Deny wins, an
Allow admits, anything else is 403. A missing identity source or a token failing the
ValidationExpression is 401 without invoking (a REQUEST authorizer's identity sources are
its Headers, QueryStrings and Context fields such as httpMethod and resourcePath, which key
its cache); the function raising "Unauthorized" is 401; any other failure or a malformed
policy is 500. Policies are cached per identity for ReauthorizeEvery seconds, and, as on
AWS, a cached policy is evaluated against each new method ARN, so a policy naming one method
denies the others until it expires.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from coderev.runtime.errors import AuthorizerFailedError
from coderev.runtime.gateway.authorizer import Allow, AuthorizerHook, AuthorizerRequest, Deny
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.template.events import AuthorizerSpec
from coderev.telemetry import metrics

__all__ = ["LambdaAuthorizer", "template_authorizers"]


@dataclass(frozen=True)
class _Policy:
    principal_id: str
    statements: tuple[tuple[str, tuple[str, ...]], ...]
    context: Mapping[str, str | int | float | bool]
    expires: float

    def decide(self, method_arn: str) -> Allow | Deny:
        effects = {effect for effect, resources in self.statements
                   if any(fnmatchcase(method_arn, pattern) for pattern in resources)}
        if "Deny" in effects or "Allow" not in effects:
            return Deny(403)
        return Allow(self.principal_id, self.context)


class LambdaAuthorizer:
    """An authorizer hook that invokes the template's authorizer function."""

    def __init__(self, invoker: LocalInvoker, spec: AuthorizerSpec, *,
                 clock: Callable[[], float] = time.monotonic):
        self.invoker = invoker
        self.spec = spec
        self.clock = clock
        self.invocations = 0
        self._cache: dict[tuple[str, ...], _Policy] = {}
        self._lock = threading.Lock()

    def __call__(self, request: AuthorizerRequest) -> Allow | Deny:
        identity = self._identity(request)
        if identity is None:
            return Deny(401)
        expression = self.spec.validation_expression
        if expression and self.spec.payload_type == "TOKEN" and not re.fullmatch(
                expression, identity[0]):
            return Deny(401)
        with self._lock:
            cached = self._cache.get(identity)
        hit = cached is not None and cached.expires > self.clock()
        metrics.cache_lookup("authorizer_policy", hit)
        if cached is None or not hit:
            fresh = self._authorize(request, identity)
            if isinstance(fresh, Deny):
                return fresh
            cached = fresh
            if self.spec.reauthorize_every > 0:
                with self._lock:
                    self._cache[identity] = cached
        return cached.decide(request.method_arn)

    def _identity(self, request: AuthorizerRequest) -> tuple[str, ...] | None:
        headers = {k.lower(): v for k, v in (request.event.get("headers") or {}).items()}
        if self.spec.payload_type == "TOKEN":
            token = headers.get(self.spec.header.lower())
            return (token,) if token else None
        query = request.event.get("queryStringParameters") or {}
        values = [headers.get(name.lower()) for name in self.spec.headers]
        values += [query.get(name) for name in self.spec.query_strings]
        context = request.event.get("requestContext") or {}
        values += [context.get(name) for name in self.spec.contexts]
        if any(not value for value in values):
            return None
        return tuple(str(value) for value in values)

    def _authorize(self, request: AuthorizerRequest, identity: tuple[str, ...]) -> _Policy | Deny:
        if self.spec.payload_type == "TOKEN":
            event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": identity[0],
                                     "methodArn": request.method_arn}
        else:
            event = {**request.event, "type": "REQUEST", "methodArn": request.method_arn}
        with self._lock:
            self.invocations += 1
        result = self.invoker.invoke(self.spec.function_arn, event)
        if not result.ok:
            if result.error_message == "Unauthorized":
                return Deny(401)
            raise AuthorizerFailedError(
                f"authorizer {self.spec.name} failed: {result.error_type}: "
                f"{result.error_message}")
        return self._policy(result.payload)

    def _policy(self, payload: Any) -> _Policy:
        try:
            principal = payload["principalId"]
            raw_statements = payload["policyDocument"]["Statement"]
            statements = []
            for statement in raw_statements:
                resources = statement["Resource"]
                resources = [resources] if isinstance(resources, str) else resources
                statements.append((str(statement["Effect"]), tuple(str(r) for r in resources)))
            context = dict(payload.get("context") or {})
        except (KeyError, TypeError) as exc:
            raise AuthorizerFailedError(
                f"authorizer {self.spec.name} returned no valid policy: {exc!r}") from exc
        if not all(isinstance(v, (str, int, float, bool)) for v in context.values()):
            raise AuthorizerFailedError(
                f"authorizer {self.spec.name}: context values must be strings, numbers "
                "or booleans")
        return _Policy(str(principal), tuple(statements), context,
                       self.clock() + self.spec.reauthorize_every)


def template_authorizers(invoker: LocalInvoker, *,
                         clock: Callable[[], float] = time.monotonic) -> dict[str, AuthorizerHook]:
    """One `LambdaAuthorizer` per Lambda authorizer the template declares, by name."""
    return {name: LambdaAuthorizer(invoker, spec, clock=clock)
            for name, spec in invoker.template.authorizers.items()}
