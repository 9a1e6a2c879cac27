"""Idempotency records for Powertools' `@idempotent` / `idempotent_function`.

- `sqlite`: `SqlitePersistenceLayer`, the embedded default (one file under CODEREV_DATA_DIR).
- `redis`: `redis_persistence_layer(url)`, Powertools' own Redis layer on a client built
  from REDIS_URL.

Neither backend is imported here: importing this room costs neither sqlite3 nor redis.
`bootstrap.idempotency_store()` chooses one.
"""

from __future__ import annotations

__all__: list[str] = []
