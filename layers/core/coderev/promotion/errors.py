"""Errors of promotion. Entry points map them by type (coderev.http.errors, the CLI's exit
codes); the promotion state machine's Retry and Catch match them by name."""

from __future__ import annotations

from coderev.domain.errors import CoderevError, ConflictError, InputError, NotFoundError

__all__ = [
    "BaselineNotInForceError",
    "DecisionNotFoundError",
    "ExperimentNotFoundError",
    "ExperimentNotPromotableError",
    "InvalidPromotionTaskError",
    "NothingToRollBackError",
    "ProductionChangedError",
    "PromotionStoreError",
]


class ExperimentNotFoundError(NotFoundError):
    """No experiment of that id (in the requester's tenant)."""


class DecisionNotFoundError(NotFoundError):
    """No promotion decision of that id."""


class ExperimentNotPromotableError(ConflictError):
    """The experiment is not in a state a promotion can start from (evaluated or running)."""


class BaselineNotInForceError(ConflictError):
    """The experiment's baseline configuration is no longer the one in production: its
    comparison says nothing about the configuration the candidate would replace."""


class ProductionChangedError(ConflictError):
    """Production moved (another promotion or a rollback) between the decision and the write:
    the write is refused rather than replacing a configuration nobody compared against."""


class NothingToRollBackError(ConflictError):
    """Rollback needs a configuration in force before the current one."""


class InvalidPromotionTaskError(InputError):
    """A promotion state's input lacks the fields its step needs."""


class PromotionStoreError(CoderevError):
    """The production / quarantine tables cannot be used (an unsupported backend); transient
    database failures surface as SQLAlchemy's OperationalError, which the machine retries."""
