"""PromotionRepository in SQL (SQLite or PostgreSQL): `production.releases`,
`production.decisions`, `quarantine.entries` (coderev.promotion.tables), made by the Alembic
migrations.

Atomic, versioned writes: `publish` reads the highest version and inserts the next one in one
transaction; the (tenant, scope, version) unique constraint makes the loser of two concurrent
writers fail (ProductionChangedError), never both succeed, and `promotion_id` being unique
makes a redriven Promote find the release it already wrote. Records of a decision or a
quarantine are `INSERT ... ON CONFLICT DO NOTHING` then read back: the first one kept wins.

This module imports SQLAlchemy; `coderev.promotion` does not import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, RowMapping

from coderev.promotion.errors import ProductionChangedError, PromotionStoreError
from coderev.promotion.model import (
    DecisionRecord,
    PolicyRef,
    QuarantineEntry,
    Release,
    ReviewConfig,
)
from coderev.promotion.tables import PRODUCTION, QUARANTINE, decisions, entries, releases
from coderev.sql import SqlRepository, read_time

__all__ = ["SqlPromotionRepository"]


class SqlPromotionRepository(SqlRepository):
    """PromotionRepository on an SQLAlchemy Engine, in `production` and `quarantine`."""

    LOGICAL_SCHEMA = PRODUCTION
    STORE_ERROR = PromotionStoreError
    TIMES_OF = "promotion"

    def __init__(self, engine: Engine, *, schema: str | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:  # fmt: skip
        super().__init__(engine, schema=schema, clock=clock)
        # two logical schemas: a test's own schema holds both, SQLite neither
        other = None if self.dialect == "sqlite" else schema or QUARANTINE
        self._engine = engine.execution_options(
            schema_translate_map={PRODUCTION: self.schema, QUARANTINE: other}
        )

    # --- production -------------------------------------------------------------------------

    def current(self, tenant: str, project: str | None) -> Release | None:
        history = self.history(tenant, project, limit=1)
        return history[0] if history else None

    def history(self, tenant: str, project: str | None, limit: int = 100) -> list[Release]:
        query = (
            sa.select(releases)
            .where(releases.c.tenant == tenant, releases.c.scope == (project or ""))
            .order_by(releases.c.version.desc())
            .limit(max(0, limit))
        )
        with self._engine.connect() as conn:
            return [_release(row) for row in conn.execute(query).mappings()]

    def release(self, tenant: str, project: str | None, version: int) -> Release | None:
        query = sa.select(releases).where(releases.c.tenant == tenant,
                                          releases.c.scope == (project or ""),
                                          releases.c.version == version)  # fmt: skip
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _release(row)

    def publish(
        self, tenant: str, project: str | None, config: ReviewConfig, *, expected_version: int,
        kind: str, actor: str, experiment_id: str | None = None,
        promotion_id: str | None = None, reason: str | None = None,
        initial: ReviewConfig | None = None,
    ) -> Release:  # fmt: skip
        if promotion_id is not None:
            done = self._release_of(promotion_id)
            if done is not None:
                return done
        scope = project or ""
        try:
            with self._engine.begin() as conn:
                top = conn.execute(
                    sa.select(sa.func.max(releases.c.version)).where(
                        releases.c.tenant == tenant, releases.c.scope == scope
                    )
                ).scalar()
                if (top or 0) != expected_version:
                    raise ProductionChangedError(
                        f"production of {_where(tenant, project)} is at version {top or 0}, "
                        f"not {expected_version}: it changed since this was decided"
                    )
                now = self._now()
                if top is None and initial is not None:
                    conn.execute(sa.insert(releases).values(
                        tenant=tenant, scope=scope, version=1, config_id=initial.id,
                        config_version=initial.version, config=initial.as_dict(),
                        kind="initial", previous_version=None, actor=actor[:255],
                        reason="in force before the first promotion", created_at=now,
                    ))  # fmt: skip
                    top = 1
                conn.execute(sa.insert(releases).values(
                    tenant=tenant, scope=scope, version=(top or 0) + 1,
                    config_id=config.id, config_version=config.version, config=config.as_dict(),
                    kind=kind, previous_version=top, experiment_id=experiment_id,
                    promotion_id=promotion_id, actor=actor[:255],
                    reason=None if reason is None else reason[:1024], created_at=now,
                ))  # fmt: skip
                written = (top or 0) + 1
        except sa.exc.IntegrityError:
            if promotion_id is not None:
                done = self._release_of(promotion_id)
                if done is not None:  # the same promotion, written by a concurrent attempt
                    return done
            raise ProductionChangedError(
                f"production of {_where(tenant, project)} was changed by a concurrent write"
            ) from None
        found = self.release(tenant, project, written)
        assert found is not None
        return found

    def _release_of(self, promotion_id: str) -> Release | None:
        query = sa.select(releases).where(releases.c.promotion_id == promotion_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _release(row)

    # --- decisions --------------------------------------------------------------------------

    def record_decision(self, record: DecisionRecord) -> DecisionRecord:
        row: dict[str, Any] = {
            "promotion_id": record.promotion_id, "experiment_id": record.experiment_id,
            "tenant": record.tenant, "scope": record.project or "",
            "requester": record.requester[:255], "input": dict(record.input),
            "policy_path": record.policy.path, "policy_version": record.policy.version,
            "policy_hash": record.policy.bundle_hash, "allow": record.allow,
            "reasons": list(record.reasons), "expected_version": record.expected_version,
            "decided_at": self._utc(record.decided_at),
        }  # fmt: skip
        insert = (
            self._insert(decisions)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["promotion_id"])
        )
        with self._engine.begin() as conn:
            conn.execute(insert)
        kept = self.decision(record.promotion_id)
        assert kept is not None
        return kept

    def decision(self, promotion_id: str) -> DecisionRecord | None:
        query = sa.select(decisions).where(decisions.c.promotion_id == promotion_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _decision(row)

    def decisions(self, experiment_id: str) -> list[DecisionRecord]:
        query = (
            sa.select(decisions)
            .where(decisions.c.experiment_id == experiment_id)
            .order_by(decisions.c.decided_at.desc())
        )
        with self._engine.connect() as conn:
            return [_decision(row) for row in conn.execute(query).mappings()]

    # --- quarantine -------------------------------------------------------------------------

    def quarantine(self, entry: QuarantineEntry) -> QuarantineEntry:
        insert = self._insert(entries).values(
            promotion_id=entry.promotion_id, tenant=entry.tenant, scope=entry.project or "",
            experiment_id=entry.experiment_id, config_id=entry.config.id,
            config_version=entry.config.version, config=entry.config.as_dict(),
            reasons=list(entry.reasons), actor=entry.actor[:255],
            created_at=self._utc(entry.created_at),
        ).on_conflict_do_nothing(index_elements=["promotion_id"])  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(insert)
            row = (
                conn.execute(sa.select(entries).where(entries.c.promotion_id == entry.promotion_id))
                .mappings()
                .one()
            )
        return _entry(row)

    def quarantined(self, tenant: str, limit: int = 100) -> list[QuarantineEntry]:
        query = (
            sa.select(entries)
            .where(entries.c.tenant == tenant)
            .order_by(entries.c.created_at.desc())
            .limit(max(0, limit))
        )
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query).mappings()]


def _where(tenant: str, project: str | None) -> str:
    return f"tenant {tenant}" + (f", project {project}" if project else "")


def _release(row: RowMapping) -> Release:
    return Release(
        tenant=row["tenant"], project=row["scope"] or None, version=row["version"],
        config=ReviewConfig.from_dict(row["config"]), kind=row["kind"], actor=row["actor"],
        created_at=read_time(row["created_at"]), previous_version=row["previous_version"],
        experiment_id=row["experiment_id"], promotion_id=row["promotion_id"],
        reason=row["reason"],
    )  # fmt: skip


def _decision(row: RowMapping) -> DecisionRecord:
    return DecisionRecord(
        promotion_id=row["promotion_id"], experiment_id=row["experiment_id"],
        tenant=row["tenant"], project=row["scope"] or None, requester=row["requester"],
        input=dict(row["input"]),
        policy=PolicyRef(row["policy_path"], row["policy_version"], row["policy_hash"]),
        allow=row["allow"], reasons=tuple(row["reasons"]),
        decided_at=read_time(row["decided_at"]), expected_version=row["expected_version"],
    )  # fmt: skip


def _entry(row: RowMapping) -> QuarantineEntry:
    return QuarantineEntry(
        promotion_id=row["promotion_id"], tenant=row["tenant"], project=row["scope"] or None,
        experiment_id=row["experiment_id"], config=ReviewConfig.from_dict(row["config"]),
        reasons=tuple(row["reasons"]), actor=row["actor"],
        created_at=read_time(row["created_at"]),
    )  # fmt: skip
