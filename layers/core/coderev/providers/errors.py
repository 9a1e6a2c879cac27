"""Errors of the provider registry. Entry points map them by type (404, 409, 422, 503).

No message ever carries an API key: they name the provider, the field, the rule broken.
"""

from __future__ import annotations

from coderev.domain.errors import CoderevError, ConflictError, InputError, NotFoundError

__all__ = [
    "InvalidProviderError",
    "ProviderExistsError",
    "ProviderNotFoundError",
    "ProviderRegistryError",
    "ProviderStoreError",
]


class ProviderRegistryError(CoderevError):
    """Base of the provider registry's errors."""


class ProviderNotFoundError(ProviderRegistryError, NotFoundError):
    def __init__(self, name: str, *, enabled_only: bool = False) -> None:
        self.name = name
        what = "no enabled provider" if enabled_only else "no provider"
        super().__init__(f"{what} named {name!r}")


class ProviderExistsError(ProviderRegistryError, ConflictError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"a provider named {name!r} is already registered")


class InvalidProviderError(ProviderRegistryError, InputError):
    """A provider or model definition breaks a rule (unknown kind, duplicate model, ...)."""


class ProviderStoreError(ProviderRegistryError):
    """The database holding the registry cannot be used."""
