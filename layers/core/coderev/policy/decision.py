"""The input an authorization decision is asked with, and the reading of its answer.

Both engines evaluate `data.coderev.authz.decision` (AUTHZ_PATH) and answer the same
document, `{"allow", "action", "reasons"}`; `decision_from` reads it strictly: anything but
that shape denies (an undefined document is a denial, as with regopy's compiled bundle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coderev.ports import Decision

if TYPE_CHECKING:
    from coderev.auth.principal import Principal

__all__ = ["AUTHZ_PATH", "UNDEFINED", "authz_input", "decision_from"]

AUTHZ_PATH = "coderev/authz/decision"
UNDEFINED = Decision(False, ("undefined",))


def authz_input(
    principal: Principal,
    *,
    action: str | None = None,
    method: str | None = None,
    resource: str | None = None,
    resource_tenant: str | None = None,
) -> dict[str, Any]:
    """The input of AUTHZ_PATH: the principal, then either the `action` or the route
    (`method`, API Gateway's `resource` template such as "/analyses/{id}"), and the tenant of
    the target when it is known (tenant isolation)."""
    document: dict[str, Any] = {
        "principal": {
            "subject": principal.subject,
            "tenant": principal.tenant,
            "roles": sorted(principal.roles),
            "kind": principal.kind,
            "scopes": sorted(principal.scopes),
        }
    }
    if action is not None:
        document["action"] = action
    if method is not None or resource is not None:
        document["request"] = {"method": (method or "").upper(), "resource": resource or ""}
    if resource_tenant is not None:
        document["resource"] = {"tenant": resource_tenant}
    return document


def decision_from(value: Any) -> Decision:
    """The Decision in a policy's answer; UNDEFINED-like denial for any other shape."""
    if value is None:
        return UNDEFINED
    if not isinstance(value, Mapping) or not isinstance(value.get("allow"), bool):
        return Decision(False, ("malformed_decision",))
    reasons = value.get("reasons") or ()
    if not isinstance(reasons, list | tuple) or not all(isinstance(r, str) for r in reasons):
        return Decision(False, ("malformed_decision",))
    action = value.get("action")
    return Decision(value["allow"], tuple(reasons), action if isinstance(action, str) else "")
