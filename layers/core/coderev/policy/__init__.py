"""Who may do what: access decisions through the PolicyEngine port, on Rego policies.

Owns the Rego policies (`rego/`: RBAC per role and action, tenant isolation, API key
scopes, the action of every route; `infrastructure/opa/policies` is the same folder, which an
OPA server loads), the input a decision is asked with and the reading of its answer
(`decision`), memoised decisions (`cache`), the checks handlers and data layers call
(`access.require`) and the API Gateway REQUEST authorizer's use case (`authorizer`). The
engines are adapters: regopy in-process (`coderev.adapters.regopy_policy`) and an OPA
server's REST API (`coderev.adapters.opa_rest`), chosen by `bootstrap.policy_engine()`.
"""

from coderev.policy.decision import AUTHZ_PATH, authz_input, decision_from
from coderev.policy.errors import PolicyDeniedError, PolicyEngineError
from coderev.policy.files import policy_dir, policy_modules

__all__ = [
    "AUTHZ_PATH",
    "PolicyDeniedError",
    "PolicyEngineError",
    "authz_input",
    "decision_from",
    "policy_dir",
    "policy_modules",
]
