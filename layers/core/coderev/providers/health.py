"""Probing providers (the `provider_health` function): each enabled provider is asked the
cheapest thing its adapter knows (`ModelProvider.probe` on its cheapest enabled model) and the
outcome is recorded as its latest health, with a count of consecutive failures the router's
circuit breaker reads through `ProviderCatalog.health()`.

A provider whose client cannot be built (its key does not open, its SDK is missing) is
recorded as failing with the error's type and message. Every error text passes through the
catalog's redaction before it is stored or returned: no key ends in the health table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from coderev.ports import ProviderHealth

if TYPE_CHECKING:
    from coderev.providers.catalog import RegistryCatalog
    from coderev.providers.repository import ProviderRepository

__all__ = ["HealthReport", "probe_providers"]


@dataclass(frozen=True, slots=True)
class HealthReport:
    checked: tuple[ProviderHealth, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "probed": len(self.checked),
            "ok": sum(1 for h in self.checked if h.ok),
            "failing": sorted(h.provider for h in self.checked if not h.ok),
            "providers": {
                h.provider: {
                    "ok": h.ok,
                    "latency_ms": h.latency_ms,
                    "error": h.error,
                    "consecutive_failures": h.consecutive_failures,
                }
                for h in self.checked
            },
        }


def probe_providers(
    catalog: RegistryCatalog,
    repository: ProviderRepository,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> HealthReport:
    """Probe every enabled provider once and record each outcome; what was recorded."""
    catalog.refresh()  # a schedule's run sees the registry as it is now
    checked: list[ProviderHealth] = []
    for entry in catalog.entries():
        model = entry.probe_model
        latency: float | None = None
        error: str | None
        if model is None:
            ok, error = False, "no enabled model to probe"
        else:
            try:
                result = catalog.provider(entry.name).probe(model)
                ok, latency, error = result.ok, result.latency_ms, result.error
            except Exception as exc:  # building the client failed: recorded, not raised
                ok, error = False, f"{type(exc).__name__}: {exc}"
        if error is not None:
            error = catalog.redact(error)
        checked.append(repository.record_health(ProviderHealth(
            provider=entry.name, ok=ok, checked_at=clock(), latency_ms=latency, error=error,
        )))  # fmt: skip
    catalog.refresh()
    return HealthReport(tuple(checked))
