"""The check a use case or data layer makes before acting: `require` asks the policy whether
the principal may take `action` on a target of `resource_tenant`, and raises
PolicyDeniedError (403) when not. Tenant isolation is part of the policy: a target of another
tenant is denied whatever the role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coderev.policy.decision import AUTHZ_PATH, authz_input
from coderev.policy.errors import PolicyDeniedError

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.ports import Decision, PolicyEngine

__all__ = ["require"]


def require(
    principal: Principal,
    action: str,
    *,
    resource_tenant: str | None = None,
    engine: PolicyEngine | None = None,
) -> Decision:
    """The allowing Decision; PolicyDeniedError when denied, PolicyEngineError when the engine
    cannot decide. `engine` defaults to bootstrap.policy_engine()."""
    if engine is None:
        from coderev import bootstrap

        engine = bootstrap.policy_engine()
    decision = engine.decide(
        AUTHZ_PATH, authz_input(principal, action=action, resource_tenant=resource_tenant)
    )
    if not decision.allow:
        raise PolicyDeniedError(decision.action or action, decision.reasons)
    return decision
