"""Powertools' own Redis idempotency layer, on a client built from REDIS_URL.

`redis://` and `rediss://` (TLS) URLs are honoured as given: Powertools' own connection
helper assumes TLS unless told otherwise, which redis-py's `from_url` decides by scheme.
The layer is taken by its forward name, `persistence.cache.CachePersistenceLayer`
(Powertools 3.x marks the `Redis*` names deprecated; in 3.37 it is still one class, so
constructing it still warns).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.cache import (
        CachePersistenceLayer,
    )

__all__ = ["redis_persistence_layer"]


def redis_persistence_layer(url: str) -> CachePersistenceLayer:
    """A CachePersistenceLayer on `url` (the client connects on its first command)."""
    import redis
    from aws_lambda_powertools.utilities.idempotency.persistence.cache import (
        CachePersistenceLayer,
    )

    client = redis.Redis.from_url(url, decode_responses=True)
    # redis-py's set() is wider than Powertools' protocol declares; it is the client it names
    return CachePersistenceLayer(client=client)  # type: ignore[arg-type]
