"""Promotion: a candidate review configuration reaches production only through the policy.

The promotion state machine (state_machines/promotion.asl.json) runs Compare (the experiment's
paired observations through coderev.comparison) -> PolicyDecision (promotion.rego through the
PolicyEngine port: minimum samples, the primary metric better, no regression on any guard,
cost ceiling, the requester an approver, no freeze window) -> Promote (production, atomically
and versioned) | Quarantine (with the refusing rules) -> Notify; Catch -> Notify(failed).

- `model`: configurations, the experiment as promotion reads it, releases, quarantine
  entries, decision records (inputs, policy version and bundle hash, answer).
- `sources`: the Protocols it reads other rooms through (ExperimentSource, Comparator).
- `repository`: its records' port; `sql_repository` / `tables`: production.* and
  quarantine.* in SQL (not imported here: importing the room costs no SQLAlchemy).
- `policy`: the decision's input and the policy's identity; `events`: CloudEvents + audit rows.
- `service`: the steps, rollback (`coderev promote --rollback`) and re-evaluating a decision.
- `tasks`: the state machine's task inputs; `starting`: starting (or redriving) a promotion.
"""

from __future__ import annotations

from coderev.promotion.errors import (
    BaselineNotInForceError,
    DecisionNotFoundError,
    ExperimentNotFoundError,
    ExperimentNotPromotableError,
    NothingToRollBackError,
    ProductionChangedError,
    PromotionStoreError,
)
from coderev.promotion.model import (
    DecisionRecord,
    ExperimentView,
    FreezeWindow,
    PolicyRef,
    PromotionPlan,
    QuarantineEntry,
    Release,
    ReviewConfig,
)

__all__ = [
    "BaselineNotInForceError",
    "DecisionNotFoundError",
    "DecisionRecord",
    "ExperimentNotFoundError",
    "ExperimentNotPromotableError",
    "ExperimentView",
    "FreezeWindow",
    "NothingToRollBackError",
    "PolicyRef",
    "ProductionChangedError",
    "PromotionPlan",
    "PromotionStoreError",
    "QuarantineEntry",
    "Release",
    "ReviewConfig",
]
