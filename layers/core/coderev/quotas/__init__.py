"""Quotas: budgets per tenant and per provider (requests, tokens, cost) per minute, day and
month, checked and spent atomically.

- `limits_for(tenant, provider)`: the configured limits (coderev.quotas.limits: a TOML file,
  CODEREV_QUOTAS_FILE, and inline TOML, CODEREV_QUOTAS);
- the QuotaStore adapters (coderev.ports.QuotaStore): `redis_store.RedisQuotaStore` (one Lua
  script per check; REDIS_URL) and `sqlite_store.SqliteQuotaStore` (embedded); the
  composition root picks one (`coderev.bootstrap.quota_store()`);
- windows aligned to calendar boundaries in UTC (coderev.quotas.windows);
- `check.check_quota`: what the quota_check function does.

Importing this package imports neither redis nor sqlite3: the adapters are their own modules.
"""

from __future__ import annotations

from coderev.quotas.limits import QuotaLimits, limits_for

__all__ = ["QuotaLimits", "limits_for"]
