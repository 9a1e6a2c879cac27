"""What the registry keeps: providers, their models (tier, context window, prices per 1M
tokens) and the metadata of their sealed API key. Frozen dataclasses; checked on creation.

A `ProviderRecord` never holds the key, not even sealed: the blob is read apart
(`ProviderRepository.sealed_key`) by the one code path that opens it, so a record can be
logged, returned or put in an event as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from coderev.providers.errors import InvalidProviderError

__all__ = [
    "KINDS",
    "NAME_PATTERN",
    "TIERS",
    "ModelSpec",
    "NewProvider",
    "ProviderRecord",
    "SealedKey",
    "key_context",
]

KINDS = ("openai", "anthropic", "hf")
"""Which SDK adapter speaks to a provider (`coderev.providers.sdk.build_provider`'s kind)."""
TIERS = ("economy", "standard", "premium")
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_NAME = re.compile(NAME_PATTERN)
MAX_MODEL_NAME = 255
MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One model a provider serves, with what routing needs to choose and price it."""

    model: str
    tier: str = "standard"
    context_window: int = 128_000
    max_output_tokens: int = 4096
    input_usd_per_mtok: float = 0.0
    output_usd_per_mtok: float = 0.0
    enabled: bool = True

    def __post_init__(self) -> None:
        if not self.model or len(self.model) > MAX_MODEL_NAME or self.model != self.model.strip():
            raise InvalidProviderError(f"model name {self.model!r} is empty, padded or too long")
        if self.tier not in TIERS:
            raise InvalidProviderError(f"tier {self.tier!r} is not one of {', '.join(TIERS)}")
        if self.context_window < 1 or self.max_output_tokens < 1:
            raise InvalidProviderError(f"model {self.model!r}: token limits must be positive")
        if min(self.input_usd_per_mtok, self.output_usd_per_mtok) < 0:
            raise InvalidProviderError(f"model {self.model!r}: prices cannot be negative")


def check_models(models: tuple[ModelSpec, ...]) -> tuple[ModelSpec, ...]:
    names = [m.model for m in models]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidProviderError(f"model(s) listed twice: {', '.join(duplicates)}")
    return models


def check_base_url(url: str | None) -> str | None:
    if url is None:
        return None
    if len(url) > MAX_URL or not re.match(r"^https?://[^\s/?#]+[^\s]*$", url):
        raise InvalidProviderError("base_url must be an http(s) URL of at most 2048 characters")
    return url


@dataclass(frozen=True, slots=True)
class NewProvider:
    """A provider to register (its key, if any, is sealed and passed apart)."""

    name: str
    kind: str
    base_url: str | None = None
    enabled: bool = True
    timeout_s: float = 60.0
    models: tuple[ModelSpec, ...] = ()

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise InvalidProviderError(
                f"provider name {self.name!r} must match {NAME_PATTERN} (lower case, digits, "
                "'.', '_', '-')"
            )
        if self.kind not in KINDS:
            raise InvalidProviderError(f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0 < self.timeout_s <= 900:
            raise InvalidProviderError("timeout_s must be above 0 and at most 900")
        check_base_url(self.base_url)
        check_models(self.models)


@dataclass(frozen=True, slots=True)
class SealedKey:
    """An API key as the SecretBox sealed it: the opaque blob, the master key that wraps it,
    and the key's version (1 for the first key, +1 on each rotation; 0: none stored)."""

    blob: bytes = field(repr=False)
    key_id: str
    version: int


@dataclass(frozen=True, slots=True)
class ProviderRecord:
    """A registered provider as the registry keeps it. `key_id`: the master key that wraps its
    API key (None without a key); `key_version`: 0 without a key."""

    name: str
    kind: str
    base_url: str | None
    enabled: bool
    timeout_s: float
    models: tuple[ModelSpec, ...]
    key_version: int
    key_id: str | None
    key_updated_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def has_key(self) -> bool:
        return self.key_version > 0


def key_context(provider: str, version: int) -> dict[str, str]:
    """The authenticated context a provider's key is sealed under: a blob copied to another
    provider, or an older key put back in place of a newer one, does not open."""
    return {
        "purpose": "coderev-provider-api-key",
        "provider": provider,
        "key_version": str(version),
    }
