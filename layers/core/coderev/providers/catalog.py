"""`RegistryCatalog`: the ProviderCatalog port on the registry — what the router chooses from.

Which providers: the enabled providers of the registry with their enabled models. While the
registry is empty (no provider ever registered), those the SDKs' environment variables imply
instead: `openai` when OPENAI_API_KEY or OPENAI_BASE_URL is set, `anthropic` for
ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, `hf` for HUGGINGFACE_API_KEY /
CODEREV_HF_ENDPOINT_URL, each with the default model list of its kind
(`coderev.providers.defaults`). Once one provider is registered, the registry alone decides.

Clients are built by `coderev.providers.sdk.build_provider` (imported when the first client
is built), with the provider's key opened from the registry (or the environment's key, for
an implied provider), its base URL and timeout, and no SDK retries (the router retries). A
registered provider gets nothing from the environment: no key (openai and anthropic then
refuse to build, ProviderAuthError: register a key, any placeholder for a server that needs
none) and no base URL (null: the SDK's default); a gateway registered beside OpenAI must
never receive OpenAI's key. Clients are cached per
provider and key version: a rotated key is used from the next `provider()` call on.

What was read from the registry is trusted for `ttl_s` seconds (CODEREV_PROVIDER_CACHE_SECONDS),
so a Lambda sandbox sees a change within that time without a query per call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from coderev.ports import ModelInfo, ModelProvider, ProviderHealth
from coderev.providers.errors import ProviderNotFoundError
from coderev.providers.model import ModelSpec

if TYPE_CHECKING:
    from pydantic import SecretStr

    from coderev.config import Settings
    from coderev.providers.registry import ProviderRegistry

__all__ = [
    "REDACTED",
    "BuildProvider",
    "CatalogEntry",
    "RegistryCatalog",
    "implied_entries",
    "redact",
]

REDACTED = "[redacted]"
BuildProvider = Callable[..., ModelProvider]
"""`build_provider(kind, *, name, api_key, base_url, timeout_s, max_retries)`."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One enabled provider as the catalog serves it (no key: only where to get it)."""

    name: str
    kind: str
    base_url: str | None
    timeout_s: float
    models: tuple[ModelInfo, ...]
    source: Literal["registry", "environment"]
    key_version: int = 0
    key_id: str | None = None
    env_key: SecretStr | None = field(default=None, repr=False, compare=False)

    @property
    def probe_model(self) -> str | None:
        """The cheapest enabled model (the first of equals): what a health probe asks."""
        priced = [(m.input_usd_per_mtok + m.output_usd_per_mtok, i, m.model)
                  for i, m in enumerate(self.models) if m.enabled]  # fmt: skip
        return min(priced)[2] if priced else None


def model_infos(provider: str, kind: str, specs: Iterable[ModelSpec]) -> tuple[ModelInfo, ...]:
    return tuple(
        ModelInfo(provider=provider, kind=kind, model=s.model, tier=s.tier,
                  context_window=s.context_window, max_output_tokens=s.max_output_tokens,
                  input_usd_per_mtok=s.input_usd_per_mtok,
                  output_usd_per_mtok=s.output_usd_per_mtok, enabled=s.enabled)
        for s in specs if s.enabled
    )  # fmt: skip


def implied_entries(settings: Settings) -> tuple[CatalogEntry, ...]:
    """The providers the SDKs' environment variables imply (see the module docstring)."""
    from coderev.providers.defaults import default_models

    implied = (
        ("openai", settings.openai_api_key, settings.openai_base_url),
        ("anthropic", settings.anthropic_api_key, settings.anthropic_base_url),
        ("hf", settings.huggingface_api_key, settings.hf_endpoint_url),
    )
    return tuple(
        CatalogEntry(name=kind, kind=kind, base_url=base_url or None, timeout_s=60.0,
                     models=model_infos(kind, kind, default_models(kind)), source="environment",
                     env_key=key if key is not None and key.get_secret_value() else None)
        for kind, key, base_url in implied
        if (key is not None and key.get_secret_value()) or base_url
    )  # fmt: skip


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every occurrence of each secret (of 4 characters or more) replaced."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def _sdk_build(kind: str, **kwargs: Any) -> ModelProvider:
    from coderev.providers.sdk import build_provider

    return build_provider(kind, **kwargs)


def _without_environment() -> Settings:
    """The settings with no provider key or base URL: what a registered provider's client is
    built with, so `build_provider` never fills in what its record leaves out from the
    environment (another provider's key, sent to this provider's URL)."""
    from coderev.config import get_settings

    cleared = ("openai_api_key", "anthropic_api_key", "huggingface_api_key", "openai_base_url",
               "anthropic_base_url", "hf_endpoint_url")  # fmt: skip
    return get_settings().model_copy(update=dict.fromkeys(cleared))


class RegistryCatalog:
    """ProviderCatalog on a ProviderRegistry (see the module docstring)."""

    def __init__(
        self,
        registry: ProviderRegistry,
        *,
        implied: Callable[[], tuple[CatalogEntry, ...]] | None = None,
        build: BuildProvider | None = None,
        ttl_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry
        self._implied = implied or (lambda: ())
        self._build = build or _sdk_build
        self._ttl = ttl_s
        self._clock = clock
        self._lock = threading.RLock()
        self._entries: tuple[tuple[CatalogEntry, ...], float] | None = None
        self._health: tuple[dict[str, ProviderHealth], float] | None = None
        self._clients: dict[tuple[Any, ...], ModelProvider] = {}
        self._secrets: dict[str, str] = {}  # provider -> the key its client was built with

    def __repr__(self) -> str:
        return f"RegistryCatalog(providers={[e.name for e in self.entries()]!r})"

    # --- ProviderCatalog ----------------------------------------------------------------------

    def models(self) -> tuple[ModelInfo, ...]:
        return tuple(info for entry in self.entries() for info in entry.models)

    def provider(self, name: str) -> ModelProvider:
        entry = next((e for e in self.entries() if e.name == name), None)
        if entry is None:
            raise ProviderNotFoundError(name, enabled_only=True)
        cache_key = (entry.name, entry.kind, entry.base_url, entry.timeout_s, entry.key_version,
                     entry.key_id, entry.source)  # fmt: skip
        with self._lock:
            client = self._clients.get(cache_key)
            if client is not None:
                return client
            key = self._key(entry)
            api_key = None if key is None else key.get_secret_value()
            if api_key:
                self._secrets[entry.name] = api_key
            extra: dict[str, Any] = {}
            if entry.source == "registry":
                extra["settings"] = _without_environment()
            client = self._build(entry.kind, name=entry.name, api_key=api_key,
                                 base_url=entry.base_url, timeout_s=entry.timeout_s,
                                 max_retries=0, **extra)  # fmt: skip
            self._clients = {k: v for k, v in self._clients.items() if k[0] != entry.name}
            self._clients[cache_key] = client
            return client

    def health(self) -> Mapping[str, ProviderHealth]:
        with self._lock:
            if self._health is None or self._stale(self._health[1]):
                self._health = (self.registry.repository.health(), self._clock())
            return dict(self._health[0])

    # --- beyond the port ----------------------------------------------------------------------

    def entries(self) -> tuple[CatalogEntry, ...]:
        """The enabled providers, registry first read or cached (see the module docstring)."""
        with self._lock:
            if self._entries is None or self._stale(self._entries[1]):
                self._entries = (self._read(), self._clock())
            return self._entries[0]

    def refresh(self) -> None:
        """Forget what was read from the registry (the next call reads it again)."""
        with self._lock:
            self._entries = None
            self._health = None

    def redact(self, text: str) -> str:
        """`text` without any key this catalog built a client with."""
        with self._lock:
            return redact(text, self._secrets.values())

    # --- internals ----------------------------------------------------------------------------

    def _stale(self, read_at: float) -> bool:
        return self._clock() - read_at >= self._ttl

    def _read(self) -> tuple[CatalogEntry, ...]:
        records = self.registry.list()
        if not records:
            return self._implied()
        return tuple(
            CatalogEntry(name=r.name, kind=r.kind, base_url=r.base_url, timeout_s=r.timeout_s,
                         models=model_infos(r.name, r.kind, r.models), source="registry",
                         key_version=r.key_version, key_id=r.key_id)
            for r in records if r.enabled
        )  # fmt: skip

    def _key(self, entry: CatalogEntry) -> SecretStr | None:
        if entry.source == "environment":
            return entry.env_key
        return self.registry.open_key(entry.name) if entry.key_version else None
