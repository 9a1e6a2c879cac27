"""Quota limits as data: which budgets hold for a tenant calling a provider.

Read from a TOML file (CODEREV_QUOTAS_FILE) with inline TOML (CODEREV_QUOTAS) merged over it,
in this shape (every section optional; numbers are the most a window may spend):

    [tenants."*"]                      # every tenant, each on its own budget
    requests = { minute = 120, day = 20_000 }
    tokens = { day = 5_000_000 }
    [tenants.acme]                     # acme: these windows replace the "*" ones
    cost_micro_usd = { month = 50_000_000 }           # $50 a month
    [tenants.acme.providers.openai]    # acme's calls to openai
    requests = { minute = 30 }
    [providers.openai]                 # everyone's calls to openai together
    tokens = { minute = 800_000 }

Metrics: requests, tokens, cost_micro_usd; windows: minute, day, month (coderev.quotas.windows).
A tenant's or provider's own section overrides the "*" section window by window. The scopes
the limits carry say whose counter they spend: `tenant:acme`, `provider:openai`,
`tenant:acme/provider:openai`. Nothing configured: no limits, every check is allowed.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from coderev.domain.errors import ConfigError
from coderev.ports import QuotaLimit
from coderev.quotas.windows import WINDOWS

__all__ = ["METRICS", "NAME", "QuotaLimits", "limits_for", "load_limits"]

METRICS = ("requests", "tokens", "cost_micro_usd")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
"""A tenant or provider name: no `|`, `/`, `:` or spaces, which the counters' keys use."""
ANY = "*"

_Budget = dict[tuple[str, str], int]  # (metric, window) -> limit


def _budget(section: Mapping[str, Any], where: str) -> _Budget:
    budget: _Budget = {}
    for metric, windows in section.items():
        if metric not in METRICS:
            raise ConfigError(f"quotas: {where}: unknown metric {metric!r} "
                              f"(expected {', '.join(METRICS)})")  # fmt: skip
        if not isinstance(windows, Mapping):
            raise ConfigError(f"quotas: {where}.{metric}: expected a table of windows, "
                              f"e.g. {{ minute = 60 }}")  # fmt: skip
        for window, limit in windows.items():
            if window not in WINDOWS:
                raise ConfigError(f"quotas: {where}.{metric}: unknown window {window!r} "
                                  f"(expected {', '.join(WINDOWS)})")  # fmt: skip
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ConfigError(f"quotas: {where}.{metric}.{window}: expected a whole "
                                  f"number >= 0, got {limit!r}")  # fmt: skip
            budget[(metric, window)] = limit
    return budget


def _names(table: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"quotas: {where}: expected a table")
    for name in table:
        if name != ANY and not NAME.match(name):
            raise ConfigError(f"quotas: {where}: invalid name {name!r} (letters, digits, "
                              f"'_', '.', '@', '-'; at most 64)")  # fmt: skip
    return table


@dataclass(frozen=True)
class QuotaLimits:
    """Parsed quota configuration; `limits_for` answers what holds for one call."""

    tenants: Mapping[str, _Budget] = field(default_factory=dict)
    providers: Mapping[str, _Budget] = field(default_factory=dict)
    pairs: Mapping[tuple[str, str], _Budget] = field(default_factory=dict)  # (tenant, provider)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> QuotaLimits:
        unknown = set(data) - {"tenants", "providers"}
        if unknown:
            raise ConfigError(f"quotas: unknown section(s) {sorted(unknown)}: expected "
                              f"[tenants.NAME] and [providers.NAME]")  # fmt: skip
        tenants: dict[str, _Budget] = {}
        pairs: dict[tuple[str, str], _Budget] = {}
        for tenant, section in _names(data.get("tenants", {}), "tenants").items():
            where = f"tenants.{tenant}"
            section = dict(_names(section, where))
            nested = _names(section.pop("providers", {}), f"{where}.providers")
            tenants[tenant] = _budget(section, where)
            for provider, budget in nested.items():
                inner = f"{where}.providers.{provider}"
                pairs[(tenant, provider)] = _budget(_names(budget, inner), inner)
        providers = {
            name: _budget(_names(section, f"providers.{name}"), f"providers.{name}")
            for name, section in _names(data.get("providers", {}), "providers").items()
        }
        return cls(tenants, providers, pairs)

    @classmethod
    def from_toml(cls, text: str, source: str = "CODEREV_QUOTAS") -> QuotaLimits:
        try:
            return cls.from_mapping(tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"quotas: {source} is not valid TOML: {exc}") from exc

    def limits_for(self, tenant: str, provider: str) -> tuple[QuotaLimit, ...]:
        """Every limit a call by `tenant` to `provider` spends from, the tenant's first."""
        for kind, name in (("tenant", tenant), ("provider", provider)):
            if not NAME.match(name):
                raise ConfigError(f"invalid {kind} name {name!r}")
        scoped = (
            (f"tenant:{tenant}", _merged(self.tenants, (ANY, tenant))),
            (f"provider:{provider}", _merged(self.providers, (ANY, provider))),
            (f"tenant:{tenant}/provider:{provider}", _merged(self.pairs, (
                (ANY, ANY), (ANY, provider), (tenant, ANY), (tenant, provider)))),
        )  # fmt: skip
        return tuple(
            QuotaLimit(scope, metric, window, limit)
            for scope, budget in scoped
            for (metric, window), limit in sorted(budget.items(), key=_order)
        )


def _order(item: tuple[tuple[str, str], int]) -> tuple[int, int]:
    (metric, window), _ = item
    return METRICS.index(metric), WINDOWS.index(window)


def _merged[K](budgets: Mapping[K, _Budget], keys: tuple[K, ...]) -> _Budget:
    merged: _Budget = {}
    for key in keys:
        merged.update(budgets.get(key, {}))
    return merged


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _deep_merge(base[key], value)
        else:
            base[key] = value
    return base


@lru_cache(maxsize=8)
def load_limits(file: str | None, inline: str | None) -> QuotaLimits:
    """The limits of a TOML file with inline TOML merged over it (read once per process)."""
    data: dict[str, Any] = {}
    if file:
        try:
            data = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"quotas: cannot read CODEREV_QUOTAS_FILE {file}: "
                              f"{exc.strerror}") from exc  # fmt: skip
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"quotas: {file} is not valid TOML: {exc}") from exc
    if inline:
        try:
            _deep_merge(data, tomllib.loads(inline))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"quotas: CODEREV_QUOTAS is not valid TOML: {exc}") from exc
    return QuotaLimits.from_mapping(data)


def limits_for(tenant: str, provider: str) -> tuple[QuotaLimit, ...]:
    """The limits for `tenant` calling `provider`, from the settings' CODEREV_QUOTAS_FILE and
    CODEREV_QUOTAS (see the module docstring)."""
    from coderev.config import get_settings

    settings = get_settings()
    file = str(settings.quotas_file) if settings.quotas_file else None
    return load_limits(file, settings.quotas).limits_for(tenant, provider)
