"""Powertools' own Redis idempotency layer, on a client built from REDIS_URL.

`redis://` and `rediss://` (TLS) URLs are honoured as given: Powertools' own connection
helper assumes TLS unless told otherwise, which `redis-py`'s `from_url` decides by scheme.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.redis import (
        RedisCachePersistenceLayer,
    )

__all__ = ["redis_persistence_layer"]


def redis_persistence_layer(url: str) -> RedisCachePersistenceLayer:
    """A RedisCachePersistenceLayer on `url` (the client connects on first command)."""
    import redis
    from aws_lambda_powertools.utilities.idempotency.persistence.redis import (
        RedisCachePersistenceLayer,
    )

    client = redis.Redis.from_url(url, decode_responses=True)
    # redis-py's set() is wider than Powertools' protocol declares; it is the client it names
    return RedisCachePersistenceLayer(client=client)  # type: ignore[arg-type]
