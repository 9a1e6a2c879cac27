"""The registry's use cases: what the `providers` API and the CLI call.

Keys are write-only: `create` and `rotate_key` take one as a `SecretStr` and seal it at once
(`SecretBox.seal`, under `key_context`); nothing here returns one. The only way back to a
plaintext key is `open_key`, which the catalog calls to build a client.

Rotating a provider's key stores the new key as the next version; clients built with the old
one finish their calls, and the catalog builds the next client with the new one (it caches
clients per key version). Rotating the *master* key is `rewrap`: every key sealed under
another master key than the SecretBox's current one is opened and sealed again under it,
each row compare-and-set so a concurrent rotation is never undone; old blobs keep opening
until then (the SecretBox keeps the old master keys for opening).

Each change publishes a CloudEvent (`coderev.provider.created|updated|disabled|key_rotated`)
naming the provider, its kind and key version — never a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coderev.providers.errors import InvalidProviderError, ProviderNotFoundError
from coderev.providers.model import (
    ModelSpec,
    NewProvider,
    ProviderRecord,
    SealedKey,
    check_base_url,
    check_models,
    key_context,
)
from coderev.providers.repository import UNCHANGED

if TYPE_CHECKING:
    from pydantic import SecretStr

    from coderev.ports import EventBus, SecretBox
    from coderev.providers.repository import ProviderRepository

__all__ = ["EVENT_SOURCE", "MAX_KEY_CHARS", "ProviderRegistry", "RewrapOutcome"]

EVENT_SOURCE = "/coderev/providers"
MAX_KEY_CHARS = 4096


@dataclass(frozen=True, slots=True)
class RewrapOutcome:
    rewrapped: tuple[str, ...]  # providers whose key is now sealed under the current master key
    current: tuple[str, ...]  # already were
    skipped: tuple[str, ...]  # changed meanwhile (rotated): sealed under the current key anyway
    key_id: str


class ProviderRegistry:
    """The registry's use cases on a repository, a SecretBox (built when a key is first
    sealed or opened: a registry without keys needs no master key) and an event bus."""

    def __init__(
        self,
        repository: ProviderRepository,
        secret_box: Callable[[], SecretBox],
        events: EventBus | None = None,
    ) -> None:
        self.repository = repository
        self._secret_box = secret_box
        self._events = events

    def __repr__(self) -> str:
        return "ProviderRegistry()"

    # --- reading ------------------------------------------------------------------------------

    def list(self) -> list[ProviderRecord]:
        return self.repository.list()

    def get(self, name: str) -> ProviderRecord:
        record = self.repository.get(name)
        if record is None:
            raise ProviderNotFoundError(name)
        return record

    def open_key(self, name: str) -> SecretStr | None:
        """The provider's API key, opened; None when it has none."""
        from pydantic import SecretStr

        sealed = self.repository.sealed_key(name)
        if sealed is None:
            return None
        plaintext = self._secret_box().open(sealed.blob, key_context(name, sealed.version))
        return SecretStr(plaintext.decode("utf-8"))

    # --- changes ------------------------------------------------------------------------------

    def create(self, provider: NewProvider, api_key: SecretStr | None = None) -> ProviderRecord:
        if provider.models == ():
            from coderev.providers.defaults import default_models

            provider = _with_models(provider, default_models(provider.kind))
        sealed = None if api_key is None else self._seal(provider.name, api_key, version=1)
        record = self.repository.create(provider, sealed)
        self._publish("created", record)
        return record

    def update(
        self,
        name: str,
        *,
        base_url: object = UNCHANGED,
        enabled: bool | None = None,
        timeout_s: float | None = None,
        models: tuple[ModelSpec, ...] | None = None,
    ) -> ProviderRecord:
        if base_url is not UNCHANGED:
            check_base_url(base_url if base_url is None else str(base_url))
        if timeout_s is not None and not 0 < timeout_s <= 900:
            raise InvalidProviderError("timeout_s must be above 0 and at most 900")
        if models is not None:
            check_models(models)
        record = self.repository.update(name, base_url=base_url, enabled=enabled,
                                        timeout_s=timeout_s, models=models)  # fmt: skip
        self._publish("disabled" if enabled is False else "updated", record)
        return record

    def disable(self, name: str) -> ProviderRecord:
        return self.update(name, enabled=False)

    def rotate_key(self, name: str, api_key: SecretStr) -> ProviderRecord:
        """Store `api_key` as the provider's next key version (its first when it had none)."""
        current = self.get(name).key_version
        sealed = self._seal(name, api_key, version=current + 1)
        record = self.repository.replace_key(name, sealed, expected_version=current)
        self._publish("key_rotated", record)
        return record

    def rewrap(self) -> RewrapOutcome:
        """Seal every stored key again under the SecretBox's current master key."""
        box = self._secret_box()
        done: list[str] = []
        current: list[str] = []
        skipped: list[str] = []
        for record in self.repository.list():
            sealed = self.repository.sealed_key(record.name)
            if sealed is None:
                continue
            if sealed.key_id == box.key_id:
                current.append(record.name)
                continue
            context = key_context(record.name, sealed.version)
            again = SealedKey(box.seal(box.open(sealed.blob, context), context), box.key_id,
                              sealed.version)  # fmt: skip
            if self.repository.rewrap_key(record.name, again, replaces=sealed.blob):
                done.append(record.name)
            else:
                skipped.append(record.name)
        return RewrapOutcome(tuple(done), tuple(current), tuple(skipped), box.key_id)

    # --- internals ----------------------------------------------------------------------------

    def _seal(self, name: str, api_key: SecretStr, *, version: int) -> SealedKey:
        value = api_key.get_secret_value()
        if not value.strip() or len(value) > MAX_KEY_CHARS or value != value.strip():
            raise InvalidProviderError(
                f"the API key of {name!r} is empty, padded with spaces or over "
                f"{MAX_KEY_CHARS} characters"
            )
        box = self._secret_box()
        blob = box.seal(value.encode("utf-8"), key_context(name, version))
        return SealedKey(blob=blob, key_id=box.key_id, version=version)

    def _publish(self, verb: str, record: ProviderRecord) -> None:
        if self._events is None:
            return
        from coderev.domain.events import cloud_event

        data: dict[str, Any] = {"name": record.name, "kind": record.kind,
                                "enabled": record.enabled, "key_version": record.key_version,
                                "models": [m.model for m in record.models]}  # fmt: skip
        event_type = f"coderev.provider.{verb}"
        event = cloud_event(event_type, EVENT_SOURCE, data, subject=record.name)
        self._events.publish(event_type, event, key=record.name)


def _with_models(provider: NewProvider, models: tuple[ModelSpec, ...]) -> NewProvider:
    return NewProvider(name=provider.name, kind=provider.kind, base_url=provider.base_url,
                       enabled=provider.enabled, timeout_s=provider.timeout_s,
                       models=models)  # fmt: skip
