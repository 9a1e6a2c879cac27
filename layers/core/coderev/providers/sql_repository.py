"""The provider registry in SQL: the `providers` schema's tables, on SQLite or PostgreSQL.

The same database as the analysis records (`DATABASE_URL`, else SQLite under the data dir);
the tables are made by the Alembic migrations in `coderev.migrations` (`open_repository`).
What the repositories share (the Engine, the schema map, the times) is `coderev.sql`.

Writes that race are settled in the database: a second `create` of a name fails on the
primary key, a key rotation and a re-wrap each update only the row they read (compare and
set on `key_version` / `key_blob`), so a rotation is never undone by a concurrent re-wrap.

This module imports SQLAlchemy; `coderev.providers` does not import this module.
"""

from __future__ import annotations

import builtins
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from coderev.domain.errors import ConflictError
from coderev.ports import ProviderHealth
from coderev.providers.errors import (
    ProviderExistsError,
    ProviderNotFoundError,
    ProviderStoreError,
)
from coderev.providers.model import ModelSpec, NewProvider, ProviderRecord, SealedKey
from coderev.providers.repository import UNCHANGED
from coderev.providers.tables import LOGICAL_SCHEMA, health, metadata, providers
from coderev.providers.tables import models as model_rows
from coderev.sql import SqlRepository, read_time

__all__ = ["LOGICAL_SCHEMA", "SqlProviderRepository", "metadata"]

_ERROR_CHARS = 1024


class SqlProviderRepository(SqlRepository):
    """ProviderRepository on an SQLAlchemy Engine (SQLite or PostgreSQL), in `providers`."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = ProviderStoreError
    TIMES_OF = "provider"

    def create(self, provider: NewProvider, key: SealedKey | None) -> ProviderRecord:
        now = self._now()
        row: dict[str, Any] = {
            "name": provider.name,
            "kind": provider.kind,
            "base_url": provider.base_url,
            "enabled": provider.enabled,
            "timeout_s": provider.timeout_s,
            "key_blob": None if key is None else key.blob,
            "key_id": None if key is None else key.key_id,
            "key_version": 0 if key is None else key.version,
            "key_updated_at": None if key is None else now,
            "created_at": now,
            "updated_at": now,
        }
        insert = (
            self._insert(providers).values(**row).on_conflict_do_nothing(index_elements=["name"])
        )
        with self._engine.begin() as conn:
            if conn.execute(insert.returning(providers.c.name)).first() is None:
                raise ProviderExistsError(provider.name)
            _write_models(conn, provider.name, provider.models)
            return self._read(conn, provider.name)

    def get(self, name: str) -> ProviderRecord | None:
        with self._engine.connect() as conn:
            found = self._rows(conn, providers.c.name == name)
        return found[0] if found else None

    def list(self) -> list[ProviderRecord]:
        with self._engine.connect() as conn:
            return self._rows(conn, None)

    def update(
        self,
        name: str,
        *,
        base_url: object = UNCHANGED,
        enabled: bool | None = None,
        timeout_s: float | None = None,
        models: tuple[ModelSpec, ...] | None = None,
    ) -> ProviderRecord:
        values: dict[str, Any] = {"updated_at": self._now()}
        if base_url is not UNCHANGED:
            values["base_url"] = base_url
        if enabled is not None:
            values["enabled"] = enabled
        if timeout_s is not None:
            values["timeout_s"] = timeout_s
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(providers).where(providers.c.name == name).values(**values)
            )
            if changed.rowcount == 0:
                raise ProviderNotFoundError(name)
            if models is not None:
                conn.execute(sa.delete(model_rows).where(model_rows.c.provider == name))
                _write_models(conn, name, models)
            return self._read(conn, name)

    def sealed_key(self, name: str) -> SealedKey | None:
        query = sa.select(providers.c.key_blob, providers.c.key_id, providers.c.key_version)
        with self._engine.connect() as conn:
            row = conn.execute(query.where(providers.c.name == name)).first()
        if row is None:
            raise ProviderNotFoundError(name)
        blob, key_id, version = row
        if blob is None or key_id is None:
            return None
        return SealedKey(blob=bytes(blob), key_id=key_id, version=version)

    def replace_key(self, name: str, key: SealedKey, *, expected_version: int) -> ProviderRecord:
        if key.version != expected_version + 1:
            raise ValueError("a rotated key's version is one above the one it replaces")
        now = self._now()
        update = (
            sa.update(providers)
            .where(providers.c.name == name, providers.c.key_version == expected_version)
            .values(key_blob=key.blob, key_id=key.key_id, key_version=key.version,
                    key_updated_at=now, updated_at=now)
        )  # fmt: skip
        with self._engine.begin() as conn:
            if conn.execute(update).rowcount == 0:
                if self._rows(conn, providers.c.name == name):
                    raise ConflictError(
                        f"the key of provider {name!r} was rotated meanwhile; try again"
                    )
                raise ProviderNotFoundError(name)
            return self._read(conn, name)

    def rewrap_key(self, name: str, key: SealedKey, *, replaces: bytes) -> bool:
        update = (
            sa.update(providers)
            .where(providers.c.name == name, providers.c.key_blob == replaces,
                   providers.c.key_version == key.version)
            .values(key_blob=key.blob, key_id=key.key_id)
        )  # fmt: skip
        with self._engine.begin() as conn:
            return bool(conn.execute(update).rowcount)

    def key_ids(self) -> dict[str, int]:
        query = (
            sa.select(providers.c.key_id, sa.func.count())
            .where(providers.c.key_id.is_not(None))
            .group_by(providers.c.key_id)
        )
        with self._engine.connect() as conn:
            return {str(key_id): int(count) for key_id, count in conn.execute(query)}

    def record_health(self, result: ProviderHealth) -> ProviderHealth:
        error = None if result.error is None else result.error[:_ERROR_CHARS]
        checked_at = self._utc(result.checked_at)
        with self._engine.begin() as conn:
            before = conn.execute(
                sa.select(health.c.consecutive_failures).where(health.c.provider == result.provider)
            ).scalar()
            failures = 0 if result.ok else int(before or 0) + 1
            row = {"ok": result.ok, "checked_at": checked_at, "latency_ms": result.latency_ms,
                   "error": error, "consecutive_failures": failures}  # fmt: skip
            insert = self._insert(health).values(provider=result.provider, **row)
            conn.execute(insert.on_conflict_do_update(index_elements=["provider"], set_=row))
        return ProviderHealth(provider=result.provider, ok=result.ok, checked_at=checked_at,
                              latency_ms=result.latency_ms, error=error,
                              consecutive_failures=failures)  # fmt: skip

    def health(self) -> dict[str, ProviderHealth]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(health).order_by(health.c.provider)).mappings().all()
        return {row["provider"]: _health(row) for row in rows}

    # --- reading ------------------------------------------------------------------------------

    def _read(self, conn: Connection, name: str) -> ProviderRecord:
        found = self._rows(conn, providers.c.name == name)
        if not found:
            raise ProviderNotFoundError(name)
        return found[0]

    def _rows(self, conn: Connection, where: Any) -> builtins.list[ProviderRecord]:
        columns = [c for c in providers.c if c.name != "key_blob"]  # never read with a record
        query = sa.select(*columns).order_by(providers.c.name)
        if where is not None:
            query = query.where(where)
        rows = conn.execute(query).mappings().all()
        if not rows:
            return []
        model_query = sa.select(model_rows).order_by(model_rows.c.provider, model_rows.c.position)
        if len(rows) == 1:
            model_query = model_query.where(model_rows.c.provider == rows[0]["name"])
        by_provider: dict[str, list[ModelSpec]] = {}
        for row in conn.execute(model_query).mappings():
            by_provider.setdefault(row["provider"], []).append(_model(row))
        return [_record(row, tuple(by_provider.get(row["name"], ()))) for row in rows]


def _write_models(conn: Connection, name: str, specs: tuple[ModelSpec, ...]) -> None:
    if not specs:
        return
    conn.execute(
        sa.insert(model_rows),
        [
            {"provider": name, "model": spec.model, "position": position, "tier": spec.tier,
             "context_window": spec.context_window, "max_output_tokens": spec.max_output_tokens,
             "input_usd_per_mtok": spec.input_usd_per_mtok,
             "output_usd_per_mtok": spec.output_usd_per_mtok, "enabled": spec.enabled}
            for position, spec in enumerate(specs)
        ],
    )  # fmt: skip


def _model(row: RowMapping) -> ModelSpec:
    return ModelSpec(
        model=row["model"],
        tier=row["tier"],
        context_window=row["context_window"],
        max_output_tokens=row["max_output_tokens"],
        input_usd_per_mtok=float(row["input_usd_per_mtok"]),
        output_usd_per_mtok=float(row["output_usd_per_mtok"]),
        enabled=bool(row["enabled"]),
    )


def _record(row: RowMapping, specs: tuple[ModelSpec, ...]) -> ProviderRecord:
    updated = row["key_updated_at"]
    return ProviderRecord(
        name=row["name"],
        kind=row["kind"],
        base_url=row["base_url"],
        enabled=bool(row["enabled"]),
        timeout_s=float(row["timeout_s"]),
        models=specs,
        key_version=int(row["key_version"]),
        key_id=row["key_id"],
        key_updated_at=None if updated is None else read_time(updated),
        created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]),
    )


def _health(row: RowMapping) -> ProviderHealth:
    return ProviderHealth(
        provider=row["provider"],
        ok=bool(row["ok"]),
        checked_at=read_time(row["checked_at"]),
        latency_ms=row["latency_ms"],
        error=row["error"],
        consecutive_failures=int(row["consecutive_failures"]),
    )
