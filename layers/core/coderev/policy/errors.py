"""Errors of access decisions. Entry points map them by type: a denial is 403, an engine that
cannot answer is 503 (and the authorizer fails, which API Gateway answers with 500)."""

from __future__ import annotations

from coderev.domain.errors import CoderevError

__all__ = ["PolicyDeniedError", "PolicyEngineError"]


class PolicyEngineError(CoderevError):
    """The policy engine could not decide: a policy that does not compile, an OPA server that
    is unreachable or answers an error. Callers fail closed."""


class PolicyDeniedError(CoderevError):
    """The policy denied the action; `reasons` are the decision's (no secrets in them)."""

    def __init__(self, action: str, reasons: tuple[str, ...]):
        super().__init__(f"{action or 'this action'} is not allowed ({', '.join(reasons)})")
        self.action = action
        self.reasons = reasons
