"""Model routing: which provider and model a task goes to, why, and the call with fallback.

- `model`: RouteTask, Candidate, RouteDecision (`explain()`), Attempt, CallResult.
- `rules`: the routing rules, a versioned TOML data file (`rules/rules-v1.toml`).
- `selection`: the rule's candidates over the catalog, minus disabled, too small, unhealthy
  (circuit breaker, provider_health) and over-budget models, each with its reason.
- `breaker`: the circuit breaker, in-process or shared through Redis.
- `arms`: the experiment-arm hook (none by default; sticky by a hash of the project).
- `router`: Router.route and Router.call (budget, quotas, fallback, capped Retry-After).

Nothing here imports a provider SDK or Redis at import time; `coderev.bootstrap.router()`
wires the catalog, the quota store and the breaker.
"""

from __future__ import annotations

from coderev.routing.arms import ArmAssigner, HashedArms, NoExperiment
from coderev.routing.breaker import BreakerState, CircuitBreaker, InMemoryBreaker, RedisBreaker
from coderev.routing.model import Attempt, CallResult, Candidate, RouteDecision, RouteTask
from coderev.routing.router import Router
from coderev.routing.rules import RuleSet, load_rules

__all__ = [
    "ArmAssigner",
    "Attempt",
    "BreakerState",
    "CallResult",
    "Candidate",
    "CircuitBreaker",
    "HashedArms",
    "InMemoryBreaker",
    "NoExperiment",
    "RedisBreaker",
    "RouteDecision",
    "RouteTask",
    "Router",
    "RuleSet",
    "load_rules",
]
