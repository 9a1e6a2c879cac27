"""The port of promotion's records: production (versioned releases, decision records) and
quarantine. `SqlPromotionRepository` (coderev.promotion.sql_repository) implements it on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Protocol

from coderev.promotion.model import DecisionRecord, QuarantineEntry, Release, ReviewConfig

__all__ = ["PromotionRepository"]


class PromotionRepository(Protocol):
    def current(self, tenant: str, project: str | None) -> Release | None:
        """The release in force (the highest version), None before the first."""
        ...

    def history(self, tenant: str, project: str | None, limit: int = 100) -> list[Release]:
        """Releases newest first."""
        ...

    def release(self, tenant: str, project: str | None, version: int) -> Release | None: ...

    def publish(
        self, tenant: str, project: str | None, config: ReviewConfig, *, expected_version: int,
        kind: str, actor: str, experiment_id: str | None = None,
        promotion_id: str | None = None, reason: str | None = None,
        initial: ReviewConfig | None = None,
    ) -> Release:  # fmt: skip
        """Write the next version in one transaction, if production is still at
        `expected_version` (0: none yet); else ProductionChangedError. With no production yet,
        `initial` (the configuration implicitly in force, e.g. the experiment's baseline) is
        written first as version 1, in the same transaction, so it can be rolled back to.
        Idempotent per `promotion_id`: the release already written for it is returned."""
        ...

    def record_decision(self, record: DecisionRecord) -> DecisionRecord:
        """Keep `record`; the one already kept for its promotion_id wins (returned)."""
        ...

    def decision(self, promotion_id: str) -> DecisionRecord | None: ...

    def decisions(self, experiment_id: str) -> list[DecisionRecord]:
        """An experiment's decisions, newest first."""
        ...

    def quarantine(self, entry: QuarantineEntry) -> QuarantineEntry:
        """Keep `entry`; the one already kept for its promotion_id wins (returned)."""
        ...

    def quarantined(self, tenant: str, limit: int = 100) -> list[QuarantineEntry]:
        """A tenant's quarantined candidates, newest first."""
        ...
