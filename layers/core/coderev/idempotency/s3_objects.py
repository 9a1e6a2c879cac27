"""Idempotency per S3 object version: the config ingest's `idempotent_function` uses.

The key is the bucket, key, version id and etag of the record's object, so repeated
notifications of one object version (S3 delivers at least once) share one idempotency record,
and a new version of the same key gets its own. A replayed response says `"outcome":
"Duplicate"`, so the handler counts duplicates apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

__all__ = ["OBJECT_VERSION_KEY", "object_version_config"]

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
