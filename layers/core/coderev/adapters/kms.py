"""The AWS KMS SecretBox: envelope encryption with KMS data keys (boto3).

`seal`: GenerateDataKey (AES_256) under CODEREV_KMS_KEY_ID with the context as KMS encryption
context; the plaintext data key encrypts the secret locally (AES-GCM, the context as
associated data, `coderev.adapters.embedded.secret_box`'s envelope) and is dropped; the blob
keeps KMS's wrapped data key and the ARN of the key that wrapped it. `open`: Decrypt of the
wrapped data key with the same encryption context (KMS refuses another), then AES-GCM.

Rotation without downtime: KMS's automatic rotation keeps every old backing key, so blobs
open as before. Moving to another KMS key (CODEREV_KMS_KEY_ID changed): blobs name the key
that wrapped them, which still opens them; `coderev providers rewrap` seals each again under
the new key, after which the old key can be disabled.

Where: the KMS endpoint is boto3's own (AWS; `AWS_ENDPOINT_URL_KMS` or `AWS_ENDPOINT_URL`
for LocalStack or moto_server), credentials from boto3's chain, region from `AWS_REGION` /
`AWS_DEFAULT_REGION` ("us-east-1"). boto3 is imported when the client is first built.
Errors become SecretBoxError naming KMS's error code, never the data.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from coderev.adapters.embedded.secret_box import Envelope, context_bytes, open_data, seal_data
from coderev.domain.errors import SecretBoxError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

__all__ = ["KmsSecretBox"]


class KmsSecretBox:
    """SecretBox on AWS KMS data keys (see the module docstring)."""

    def __init__(
        self,
        key_id: str,
        *,
        client: KMSClient | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        if not key_id:
            raise SecretBoxError("no KMS key id (CODEREV_KMS_KEY_ID)")
        self.key_id = key_id
        self._client = client
        self._client_kwargs: dict[str, Any] = {
            "region_name": region or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        }  # fmt: skip
        if endpoint_url:
            self._client_kwargs["endpoint_url"] = endpoint_url
        if access_key and secret_key:
            self._client_kwargs["aws_access_key_id"] = access_key
            self._client_kwargs["aws_secret_access_key"] = secret_key
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KmsSecretBox(key_id={self.key_id!r})"

    @property
    def client(self) -> KMSClient:
        with self._lock:
            if self._client is None:
                import boto3

                self._client = boto3.client("kms", **self._client_kwargs)
            return self._client

    def seal(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        answer = self._call("GenerateDataKey", lambda kms: kms.generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=dict(context)))  # fmt: skip
        wrapped_by = answer["KeyId"]  # the key's ARN, whatever form key_id has
        ciphertext = seal_data(answer["Plaintext"], plaintext, context_bytes(context))
        return Envelope(wrapped_by, answer["CiphertextBlob"], ciphertext).encode()

    def open(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        envelope = Envelope.decode(blob)
        answer = self._call("Decrypt", lambda kms: kms.decrypt(
            CiphertextBlob=envelope.wrapped_key, KeyId=envelope.key_id,
            EncryptionContext=dict(context)))  # fmt: skip
        return open_data(answer["Plaintext"], envelope.ciphertext, context_bytes(context))

    def _call(self, operation: str, call: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(self.client)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            raise SecretBoxError(f"KMS {operation} refused: {code}") from None
        except BotoCoreError as exc:
            raise SecretBoxError(f"KMS {operation} failed: {type(exc).__name__}") from None
