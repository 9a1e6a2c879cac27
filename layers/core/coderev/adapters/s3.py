"""The S3 ObjectStore (boto3), and the bucket's upload notifications through an SQS queue.

Configuration, argument > environment > default: `S3_ENDPOINT` (unset: AWS itself),
`S3_ACCESS_KEY`/`S3_SECRET_KEY` (unset: boto3's credential chain), `S3_BUCKET` ("coderev"),
region from `AWS_REGION`/`AWS_DEFAULT_REGION` ("us-east-1"). A non-AWS endpoint (moto_server,
LocalStack, MinIO) is addressed path-style, since it has no per-bucket DNS names.

Behaviour matches the embedded `LocalObjectStore` (one contract suite runs on both): the same
key and metadata rules, etag without quotes, `get` of a missing key raises `KeyError`, `head`
returns None, `list` yields key/size/etag in UTF-8 byte order, backend failures raise
`ObjectStoreError`. Objects are written with one PUT, so the etag is the body's MD5.

Presigned uploads: `presign_put` returns a SigV4 PutObject URL whose user metadata is signed
as `x-amz-meta-*` headers (the client must send them; S3 refuses the upload otherwise). A
presigned URL acts with the credentials that signed it: the function needs s3:PutObject.
`presign_get` returns a SigV4 GetObject URL served with the given `response-content-type`
(s3:GetObject): how a report larger than Lambda's 6 MB response reaches a client.

Notifications: `configure_notifications` points the bucket's ObjectCreated events at an SQS
queue (created if needed, with the policy that lets S3 send to it). `receive_notifications`
returns the standard S3 event records (the `Records` of a Lambda S3 event); S3's one-off
`s3:TestEvent` message is deleted and skipped. Fields real S3 always sends but moto omits
(`userIdentity`, `requestParameters`, `responseElements`, the bucket's `ownerIdentity`) are
filled with placeholders, so Powertools' `S3Model` parses local records too. The local
runtime polls this to turn uploads into Lambda S3 events, and deletes each message only once
its handler succeeded.

boto3 is imported when the first client is built, never at import of this module.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import urlsplit

from coderev.adapters.embedded.object_store import (
    ObjectStoreError,
    normalize_metadata,
    validate_object_key,
)
from coderev.adapters.embedded.presigned import check_expires_in, metadata_headers
from coderev.ports import ObjectInfo, PresignedDownload, PresignedUpload

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import NotificationConfigurationTypeDef
    from mypy_boto3_sqs import SQSClient

__all__ = ["S3Notification", "S3ObjectStore", "S3Settings"]

_MISSING = {"404", "NoSuchKey", "NotFound"}
_CREATED_EVENTS = ("s3:ObjectCreated:*",)


@dataclass(frozen=True, slots=True)
class S3Settings:
    """Where and as whom to reach S3, resolved once: argument > environment > default."""

    bucket: str
    endpoint_url: str | None
    access_key: str | None
    secret_key: str | None
    region: str

    @classmethod
    def resolve(
        cls,
        bucket: str | None = None,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
    ) -> S3Settings:
        env = os.environ.get
        return cls(
            bucket=bucket or env("S3_BUCKET") or "coderev",
            endpoint_url=endpoint_url or env("S3_ENDPOINT") or None,
            access_key=access_key or env("S3_ACCESS_KEY") or None,
            secret_key=secret_key or env("S3_SECRET_KEY") or None,
            region=region or env("AWS_REGION") or env("AWS_DEFAULT_REGION") or "us-east-1",
        )

    @property
    def path_style(self) -> bool:
        if not self.endpoint_url:
            return False
        host = urlsplit(self.endpoint_url).hostname or ""
        return not host.endswith(".amazonaws.com")

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:
            kwargs["endpoint_url"] = self.endpoint_url
        if self.access_key and self.secret_key:
            kwargs["aws_access_key_id"] = self.access_key
            kwargs["aws_secret_access_key"] = self.secret_key
        return kwargs


@dataclass(frozen=True, slots=True)
class S3Notification:
    """One SQS message of S3 notifications; `records` are standard S3 event records."""

    message_id: str
    receipt_handle: str
    records: tuple[Mapping[str, Any], ...]

    @property
    def lambda_event(self) -> dict[str, Any]:
        """The event Lambda passes to a function triggered by these records."""
        return {"Records": [dict(record) for record in self.records]}


class S3ObjectStore:
    """An ObjectStore on one S3 bucket. Clients may be injected (tests, shared sessions)."""

    def __init__(
        self,
        bucket: str | None = None,
        *,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        client: S3Client | None = None,
        sqs_client: SQSClient | None = None,
    ) -> None:
        self.settings = S3Settings.resolve(bucket, endpoint_url, access_key, secret_key, region)
        self.bucket = self.settings.bucket
        self._client = client
        self._sqs_client = sqs_client

    def reopener(self) -> Callable[[], S3ObjectStore] | None:
        """A picklable way to open this store again in another process (None with an injected
        client, which another process cannot share)."""
        if self._client is not None:
            return None
        settings = self.settings
        return functools.partial(
            S3ObjectStore, settings.bucket, endpoint_url=settings.endpoint_url,
            access_key=settings.access_key, secret_key=settings.secret_key,
            region=settings.region,
        )  # fmt: skip

    @property
    def client(self) -> S3Client:
        if self._client is None:
            import boto3
            from botocore.config import Config

            addressing: Literal["path", "auto"] = "path" if self.settings.path_style else "auto"
            # SigV4 everywhere: presigned URLs would otherwise fall back to SigV2 on a custom
            # endpoint, which moves the metadata into the query string instead of signing it.
            config = Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing},
                retries={"mode": "standard"},
            )
            self._client = boto3.client("s3", config=config, **self.settings.client_kwargs())
        return self._client

    @property
    def sqs_client(self) -> SQSClient:
        if self._sqs_client is None:
            import boto3

            self._sqs_client = boto3.client("sqs", **self.settings.client_kwargs())
        return self._sqs_client

    # --- ObjectStore --------------------------------------------------------------------------

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        validate_object_key(key)
        user_metadata = normalize_metadata(metadata)
        body = bytes(data)
        with _backend_errors(f"put {key!r}"):
            response = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=content_type,
                Metadata=user_metadata,
            )
        return ObjectInfo(
            key=key,
            size=len(body),
            etag=response["ETag"].strip('"'),
            version_id=_version(response.get("VersionId")),
            metadata=user_metadata,
        )

    def get(self, key: str) -> bytes:
        validate_object_key(key)
        try:
            with _backend_errors(f"get {key!r}", missing=key):
                response = self.client.get_object(Bucket=self.bucket, Key=key)
                return response["Body"].read()
        except _Missing:
            raise KeyError(key) from None

    def head(self, key: str) -> ObjectInfo | None:
        validate_object_key(key)
        try:
            with _backend_errors(f"head {key!r}", missing=key):
                response = self.client.head_object(Bucket=self.bucket, Key=key)
        except _Missing:
            return None
        return ObjectInfo(
            key=key,
            size=response["ContentLength"],
            etag=response["ETag"].strip('"'),
            version_id=_version(response.get("VersionId")),
            metadata=dict(response.get("Metadata", {})),
        )

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _backend_errors(f"list {prefix!r}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(
                        key=item["Key"], size=item["Size"], etag=item["ETag"].strip('"')
                    )

    def delete(self, key: str) -> None:
        validate_object_key(key)
        with _backend_errors(f"delete {key!r}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def presign_put(
        self, key: str, *, expires_in: int, metadata: Mapping[str, str] | None = None
    ) -> PresignedUpload:
        """A SigV4 presigned PutObject URL; the metadata travels as signed `x-amz-meta-*`
        headers, which the client must send exactly (S3 refuses the upload otherwise)."""
        validate_object_key(key)
        user_metadata = normalize_metadata(metadata)
        check_expires_in(expires_in)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if user_metadata:
            params["Metadata"] = user_metadata
        signed_at = datetime.now(UTC)
        with _backend_errors(f"presign {key!r}"):
            url = self.client.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=expires_in, HttpMethod="PUT"
            )
        return PresignedUpload(
            url=url,
            expires_at=signed_at + timedelta(seconds=expires_in),
            headers=metadata_headers(user_metadata),
        )

    def copy(
        self, source_key: str, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        """CopyObject inside the bucket (S3 copies the bytes; none pass through here): the
        source's content type, its metadata unless `metadata` replaces it. KeyError if absent."""
        validate_object_key(source_key)
        validate_object_key(key)
        params: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key,
            "CopySource": {"Bucket": self.bucket, "Key": source_key},
        }  # fmt: skip
        try:
            with _backend_errors(f"copy {source_key!r}", missing=source_key):
                if metadata is not None:
                    source = self.client.head_object(Bucket=self.bucket, Key=source_key)
                    kind = source.get("ContentType", "application/octet-stream")
                    params |= {"Metadata": normalize_metadata(metadata),
                               "MetadataDirective": "REPLACE", "ContentType": kind}  # fmt: skip
                self.client.copy_object(**params)
        except _Missing:
            raise KeyError(source_key) from None
        info = self.head(key)
        if info is None:
            raise ObjectStoreError(f"the copy of {source_key!r} to {key!r} is not there")
        return info

    def presign_get(self, key: str, *, expires_in: int, content_type: str) -> PresignedDownload:
        """A SigV4 presigned GetObject URL served as `content_type`; KeyError when absent."""
        info = self.head(key)
        if info is None:
            raise KeyError(key)
        check_expires_in(expires_in)
        params = {"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type}
        signed_at = datetime.now(UTC)
        with _backend_errors(f"presign {key!r}"):
            url = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET"
            )
        return PresignedDownload(
            url=url,
            expires_at=signed_at + timedelta(seconds=expires_in),
            content_type=content_type,
            size=info.size,
        )

    # --- bucket and notifications -------------------------------------------------------------

    def ensure_bucket(self, *, versioning: bool = True) -> None:
        """Create the bucket if it is not there; turn versioning on (version ids on every put)."""
        kwargs: dict[str, Any] = {"Bucket": self.bucket}
        if self.settings.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.settings.region}
        with _backend_errors(f"create bucket {self.bucket!r}"):
            with contextlib.suppress(self.client.exceptions.BucketAlreadyOwnedByYou):
                self.client.create_bucket(**kwargs)
            if versioning:
                self.client.put_bucket_versioning(
                    Bucket=self.bucket, VersioningConfiguration={"Status": "Enabled"}
                )

    def configure_notifications(
        self,
        queue_name: str,
        *,
        prefix: str = "",
        suffix: str = "",
        events: Sequence[str] = _CREATED_EVENTS,
    ) -> str:
        """Send the bucket's `events` under `prefix`/`suffix` to SQS `queue_name`; its URL.

        Other queues' notification rules on the bucket are kept; this queue's are replaced.
        """
        bucket_arn = f"arn:aws:s3:::{self.bucket}"
        with _backend_errors(f"configure notifications to {queue_name!r}"):
            queue_url = self.sqs_client.create_queue(QueueName=queue_name)["QueueUrl"]
            attributes = self.sqs_client.get_queue_attributes(
                QueueUrl=queue_url, AttributeNames=["QueueArn"]
            )["Attributes"]
            queue_arn = attributes["QueueArn"]
            policy = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "coderev-s3-notifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": queue_arn,
                        "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn}},
                    }
                ],
            }
            self.sqs_client.set_queue_attributes(
                QueueUrl=queue_url, Attributes={"Policy": json.dumps(policy)}
            )
            current = self.client.get_bucket_notification_configuration(Bucket=self.bucket)
            rules: list[Any] = [
                rule
                for rule in current.get("QueueConfigurations", [])
                if rule["QueueArn"] != queue_arn
            ]
            rule: dict[str, Any] = {"QueueArn": queue_arn, "Events": list(events)}
            filters = [
                {"Name": name, "Value": value}
                for name, value in (("prefix", prefix), ("suffix", suffix))
                if value
            ]
            if filters:
                rule["Filter"] = {"Key": {"FilterRules": filters}}
            rules.append(rule)
            configuration: dict[str, Any] = {
                name: current[name]
                for name in ("TopicConfigurations", "LambdaFunctionConfigurations")
                if name in current
            }
            configuration["QueueConfigurations"] = rules
            self.client.put_bucket_notification_configuration(
                Bucket=self.bucket,
                NotificationConfiguration=cast("NotificationConfigurationTypeDef", configuration),
            )
        return queue_url

    def receive_notifications(
        self, queue_url: str, *, max_messages: int = 10, wait_seconds: int = 1
    ) -> builtins.list[S3Notification]:
        """Long-poll the queue once; S3 event records per message. Delete each when handled."""
        with _backend_errors(f"receive from {queue_url!r}"):
            response = self.sqs_client.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=max(1, min(max_messages, 10)),
                WaitTimeSeconds=wait_seconds,
            )
        notifications: builtins.list[S3Notification] = []
        for message in response.get("Messages", []):
            body = json.loads(message.get("Body", "{}"))
            records = body.get("Records") if isinstance(body, dict) else None
            if not records:  # s3:TestEvent, sent once when the configuration is written
                self.delete_notification(queue_url, message["ReceiptHandle"])
                continue
            notifications.append(
                S3Notification(
                    message_id=message["MessageId"],
                    receipt_handle=message["ReceiptHandle"],
                    records=tuple(_complete(record) for record in records),
                )
            )
        return notifications

    def delete_notification(self, queue_url: str, receipt_handle: str) -> None:
        """Acknowledge a handled notification message so SQS does not redeliver it."""
        with _backend_errors(f"delete message from {queue_url!r}"):
            self.sqs_client.delete_message(QueueUrl=queue_url, ReceiptHandle=receipt_handle)


class _Missing(Exception):
    """Internal: the key is absent (turned into KeyError or None by the caller)."""


def _complete(record: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fill the fields real S3 always sends and moto omits (identities, request ids), so a
    handler parses the same record shape locally as on AWS. Present fields are kept as they are.
    """
    completed = dict(record)
    completed.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
    completed.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
    request_id = hashlib.md5(json.dumps(record, sort_keys=True).encode(), usedforsecurity=False)
    completed.setdefault(
        "responseElements",
        {"x-amz-request-id": request_id.hexdigest()[:16].upper(), "x-amz-id-2": "local"},
    )
    s3 = dict(completed.get("s3", {}))
    bucket = dict(s3.get("bucket", {}))
    bucket.setdefault("ownerIdentity", {"principalId": "LOCAL"})
    s3["bucket"] = bucket
    completed["s3"] = s3
    return completed


def _version(version_id: str | None) -> str | None:
    # An unversioned bucket reports the literal "null" version.
    return None if version_id in (None, "", "null") else version_id


@contextlib.contextmanager
def _backend_errors(action: str, *, missing: str | None = None) -> Iterator[None]:
    """Map botocore failures to `ObjectStoreError`, and a missing key to `_Missing`."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if missing is not None and code in _MISSING:
            raise _Missing(missing) from None
        raise ObjectStoreError(f"S3 {action} failed: {code or error}") from error
    except BotoCoreError as error:
        raise ObjectStoreError(f"S3 {action} failed: {error}") from error
