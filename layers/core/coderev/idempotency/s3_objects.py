"""Idempotency per S3 object version: the config ingest's `idempotent_function` uses.

The key is the bucket, key, version id and etag of the record's object, so repeated
notifications of one object version (S3 delivers at least once) share one idempotency record,
and a new version of the same key gets its own. A replayed response says `"outcome":
"Duplicate"`, so the handler counts duplicates apart.

Importing this module imports Powertools' idempotency package, which imports boto3 (for its
DynamoDB layer): handlers import it on first use, not at cold start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

__all__ = ["OBJECT_VERSION_KEY", "object_version_config", "once_per_object_version"]

OBJECT_VERSION_KEY = "[s3.bucket.name, s3.object.key, s3.object.versionId, s3.object.eTag]"
WEEK = 7 * 24 * 3600


def _replayed(response: Any, idempotent_data: DataRecord) -> Any:
    return {**response, "outcome": "Duplicate"} if isinstance(response, dict) else response


def object_version_config(expires_after_seconds: int = WEEK) -> IdempotencyConfig:
    """An IdempotencyConfig keyed on the object version of one S3 event record."""
    return IdempotencyConfig(
        event_key_jmespath=OBJECT_VERSION_KEY,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=expires_after_seconds,
        response_hook=_replayed,
    )


def once_per_object_version[R](
    fn: Callable[[dict[str, Any]], R], store: BasePersistenceLayer
) -> tuple[Callable[..., R], IdempotencyConfig]:
    """`fn(record=...)` made idempotent per object version on `store`, and its config (the
    handler registers each invocation's Lambda context on it)."""
    from aws_lambda_powertools.utilities.idempotency import idempotent_function

    config = object_version_config()
    run: Callable[..., R] = idempotent_function(
        fn, data_keyword_argument="record", config=config, persistence_store=store
    )
    return run, config
