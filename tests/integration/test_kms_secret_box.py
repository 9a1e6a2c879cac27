"""The KMS SecretBox against moto_server's KMS over HTTP: data keys from GenerateDataKey,
the encryption context enforced by KMS, errors without the secret, and a move to another KMS
key re-wrapping every provider key while the old blobs keep opening (the registry's rewrap).

moto_server: tests/integration/conftest.py's `s3_endpoint` (the same server serves S3, SQS
and KMS); an unreachable one FAILS the test.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from pydantic import SecretStr

from coderev.adapters.kms import KmsSecretBox
from coderev.analyses.sql_repository import database_url
from coderev.domain.errors import SecretBoxError
from coderev.migrations import open_repository
from coderev.providers.model import NewProvider
from coderev.providers.registry import ProviderRegistry
from coderev.providers.sql_repository import SqlProviderRepository

pytestmark = pytest.mark.integration

SECRET = b"sk-ant-KMS-0123456789abcdefghij"
CONTEXT = {"purpose": "coderev-provider-api-key", "provider": "claude", "key_version": "1"}


def _kms(endpoint: str) -> Any:
    return boto3.client("kms", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="test", aws_secret_access_key="test")  # fmt: skip


def _box(endpoint: str, key_id: str) -> KmsSecretBox:
    return KmsSecretBox(key_id, endpoint_url=endpoint, region="us-east-1", access_key="test",
                        secret_key="test")  # fmt: skip


@pytest.fixture
def key_arn(s3_endpoint: str) -> str:
    arn: str = _kms(s3_endpoint).create_key(Description="coderev test")["KeyMetadata"]["Arn"]
    return arn


def test_a_sealed_secret_is_a_kms_envelope(s3_endpoint: str, key_arn: str) -> None:
    box = _box(s3_endpoint, key_arn)
    blob = box.seal(SECRET, CONTEXT)

    envelope = json.loads(blob)
    assert envelope["kid"] == key_arn and SECRET not in blob
    assert box.open(blob, CONTEXT) == SECRET
    # the wrapped data key is KMS's own ciphertext: KMS decrypts it under the same context only
    wrapped = base64.b64decode(envelope["dk"])
    kms = _kms(s3_endpoint)
    assert len(kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=CONTEXT)["Plaintext"]) == 32
    with pytest.raises(kms.exceptions.InvalidCiphertextException):
        kms.decrypt(CiphertextBlob=wrapped, EncryptionContext={**CONTEXT, "provider": "other"})


def test_another_context_or_an_altered_blob_does_not_open(s3_endpoint: str, key_arn: str) -> None:
    box = _box(s3_endpoint, key_arn)
    blob = box.seal(SECRET, CONTEXT)
    with pytest.raises(SecretBoxError, match="KMS Decrypt refused") as raised:
        box.open(blob, {**CONTEXT, "key_version": "2"})
    assert SECRET.decode() not in str(raised.value)
    envelope = json.loads(blob)
    ciphertext = bytearray(base64.b64decode(envelope["ct"]))
    ciphertext[-1] ^= 1
    envelope["ct"] = base64.b64encode(bytes(ciphertext)).decode()
    with pytest.raises(SecretBoxError, match="does not open"):
        box.open(json.dumps(envelope).encode(), CONTEXT)


def test_an_unknown_key_or_an_unreachable_kms_is_a_secret_box_error(
    s3_endpoint: str,
) -> None:
    with pytest.raises(SecretBoxError, match="KMS GenerateDataKey refused: NotFoundException"):
        _box(s3_endpoint, "alias/not-there").seal(SECRET, CONTEXT)
    with pytest.raises(SecretBoxError, match="KMS GenerateDataKey failed"):
        _box("http://127.0.0.1:9", "alias/x").seal(SECRET, CONTEXT)
    assert "test" not in repr(_box(s3_endpoint, "alias/x"))


def test_moving_to_another_kms_key_rewraps_without_downtime(
    s3_endpoint: str, key_arn: str, tmp_path: Path
) -> None:
    repository = open_repository(SqlProviderRepository, database_url(None, tmp_path))
    registry = ProviderRegistry(repository, lambda: _box(s3_endpoint, key_arn))
    registry.create(NewProvider("claude", "anthropic"), SecretStr(SECRET.decode()))
    new_arn = _kms(s3_endpoint).create_key(Description="coderev next")["KeyMetadata"]["Arn"]
    moved = ProviderRegistry(repository, lambda: _box(s3_endpoint, new_arn))

    assert moved.open_key("claude") == SecretStr(SECRET.decode())  # the blob names its key
    outcome = moved.rewrap()

    assert outcome.rewrapped == ("claude",) and repository.key_ids() == {new_arn: 1}
    sealed = repository.sealed_key("claude")
    assert sealed is not None and json.loads(sealed.blob)["kid"] == new_arn
    _kms(s3_endpoint).disable_key(KeyId=key_arn.rsplit("/", 1)[-1])  # the old key can go
    assert moved.open_key("claude") == SecretStr(SECRET.decode())
