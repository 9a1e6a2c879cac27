"""The port of the provider registry: where providers, models, sealed keys and health are kept.

`SqlProviderRepository` (coderev.providers.sql_repository) implements it on SQLite (the
embedded default) and on PostgreSQL; one contract suite runs against both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from coderev.ports import ProviderHealth
    from coderev.providers.model import ModelSpec, NewProvider, ProviderRecord, SealedKey

__all__ = ["UNCHANGED", "ProviderRepository"]

UNCHANGED: object = object()
"""`update`'s default: leave the field as it is (None is a value: no base URL)."""


class ProviderRepository(Protocol):
    def create(self, provider: NewProvider, key: SealedKey | None) -> ProviderRecord:
        """Register `provider`; ProviderExistsError when the name is taken."""
        ...

    def get(self, name: str) -> ProviderRecord | None: ...

    def list(self) -> list[ProviderRecord]:
        """Every registered provider, by name."""
        ...

    def update(
        self,
        name: str,
        *,
        base_url: object = UNCHANGED,
        enabled: bool | None = None,
        timeout_s: float | None = None,
        models: tuple[ModelSpec, ...] | None = None,
    ) -> ProviderRecord:
        """Change what is given (`models` replaces the list); ProviderNotFoundError."""
        ...

    def sealed_key(self, name: str) -> SealedKey | None:
        """The provider's sealed key, None when it has none; ProviderNotFoundError."""
        ...

    def replace_key(self, name: str, key: SealedKey, *, expected_version: int) -> ProviderRecord:
        """Store a new key (`key.version` must be `expected_version + 1`) if the provider's key
        is still at `expected_version`; a ConflictError when another rotation came first."""
        ...

    def rewrap_key(self, name: str, key: SealedKey, *, replaces: bytes) -> bool:
        """Put `key` (the same key and version, sealed again) in place of the blob `replaces`;
        False (nothing changed) when the stored blob is no longer that one."""
        ...

    def key_ids(self) -> dict[str, int]:
        """How many stored keys each master key wraps."""
        ...

    def record_health(self, health: ProviderHealth) -> ProviderHealth:
        """Keep a probe's outcome as the provider's latest; `consecutive_failures` is counted
        here (0 after a success, one more than before after a failure)."""
        ...

    def health(self) -> dict[str, ProviderHealth]: ...
