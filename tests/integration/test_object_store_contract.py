"""One ObjectStore contract, run on the embedded LocalObjectStore and on S3ObjectStore against
moto_server over HTTP; plus the S3 → SQS notification path and the local layout's guarantees."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, quote_plus, unquote_plus, urlsplit

import pytest
from aws_lambda_powertools.utilities.parser.models import S3Model

from coderev.adapters.embedded.object_store import (
    InvalidObjectKeyError,
    InvalidObjectMetadataError,
    LocalObjectStore,
)
from coderev.adapters.embedded.presigned import InvalidExpiryError
from coderev.adapters.s3 import S3Notification, S3ObjectStore
from coderev.ports import ObjectStore

pytestmark = pytest.mark.integration

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _s3_store(endpoint: str, bucket: str) -> S3ObjectStore:
    store = S3ObjectStore(bucket, endpoint_url=endpoint, access_key="test", secret_key="test")
    store.ensure_bucket(versioning=True)
    return store


def _empty_bucket(store: S3ObjectStore) -> None:
    client = store.client
    for page in client.get_paginator("list_object_versions").paginate(Bucket=store.bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            client.delete_object(Bucket=store.bucket, Key=item["Key"], VersionId=item["VersionId"])
    client.delete_bucket(Bucket=store.bucket)


@pytest.fixture(params=["local", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, fresh_name: Callable[[str], str]
) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "bucket")
        return
    s3 = _s3_store(request.getfixturevalue("s3_endpoint"), fresh_name("contract"))
    yield s3
    _empty_bucket(s3)


def test_put_then_get_head_and_etag(store: ObjectStore) -> None:
    info = store.put("uploads/a.zip", b"hello", content_type="application/zip")

    assert (info.key, info.size, info.etag) == (
        "uploads/a.zip",
        5,
        hashlib.md5(b"hello").hexdigest(),
    )
    assert info.version_id
    assert store.get("uploads/a.zip") == b"hello"
    head = store.head("uploads/a.zip")
    assert head is not None
    assert (head.key, head.size, head.etag, head.version_id) == (
        info.key, info.size, info.etag, info.version_id,
    )  # fmt: skip


def test_overwrite_gives_new_etag_and_version(store: ObjectStore) -> None:
    first = store.put("k", b"one")
    second = store.put("k", b"two!")

    assert store.get("k") == b"two!"
    assert second.etag != first.etag
    assert second.version_id != first.version_id
    head = store.head("k")
    assert head is not None and (head.size, head.etag) == (4, second.etag)


def test_empty_object(store: ObjectStore) -> None:
    info = store.put("empty", b"")
    assert (info.size, info.etag) == (0, EMPTY_MD5)
    assert store.get("empty") == b""


def test_user_metadata_names_are_lower_cased(store: ObjectStore) -> None:
    info = store.put("m", b"x", metadata={"Tenant": "acme", "upload-id": "42", "sha_256": "ab"})
    expected = {"tenant": "acme", "upload-id": "42", "sha_256": "ab"}
    assert dict(info.metadata) == expected
    head = store.head("m")
    assert head is not None and dict(head.metadata) == expected
    store.put("m", b"y")
    replaced = store.head("m")
    assert replaced is not None and dict(replaced.metadata) == {}


@pytest.mark.parametrize(
    "metadata", [{"naïve": "x"}, {"k": "café"}, {"": "v"}, {"a b": "v"}, {"k": "line\nbreak"}]
)
def test_metadata_s3_cannot_carry_is_refused(store: ObjectStore, metadata: dict[str, str]) -> None:
    with pytest.raises(InvalidObjectMetadataError):
        store.put("k", b"x", metadata=metadata)
    assert store.head("k") is None


def test_missing_keys(store: ObjectStore) -> None:
    with pytest.raises(KeyError):
        store.get("nope/never.zip")
    assert store.head("nope/never.zip") is None
    store.delete("nope/never.zip")  # deleting what is absent is not an error, as on S3


def test_list_is_sorted_by_utf8_bytes_and_filters_by_prefix(store: ObjectStore) -> None:
    keys = ["b/2", "a", "a/b", "a/c/d", "ab", "a-z", "é", "z"]
    for number, key in enumerate(keys):
        store.put(key, b"x" * number)

    listed = list(store.list())
    assert [info.key for info in listed] == sorted(keys, key=lambda key: key.encode())
    by_key = {info.key: info for info in listed}
    assert by_key["a/c/d"].size == 3
    assert by_key["a/c/d"].etag == hashlib.md5(b"xxx").hexdigest()

    assert [info.key for info in store.list("a/")] == ["a/b", "a/c/d"]
    assert [info.key for info in store.list("a")] == ["a", "a-z", "a/b", "a/c/d", "ab"]
    assert [info.key for info in store.list("a/c")] == ["a/c/d"]
    assert list(store.list("zz/")) == []
    assert list(store.list("../")) == []


def test_delete_removes_only_that_key(store: ObjectStore) -> None:
    for key in ("a", "a/b", "a/c/d"):
        store.put(key, key.encode())
    store.delete("a/c/d")

    with pytest.raises(KeyError):
        store.get("a/c/d")
    assert store.head("a/c/d") is None
    assert [info.key for info in store.list()] == ["a", "a/b"]
    assert list(store.list("a/c/")) == []
    store.delete("a")
    assert store.get("a/b") == b"a/b"
    store.put("a/c/d", b"again")
    assert store.get("a/c/d") == b"again"


BAD_KEYS = [
    "", "/etc/passwd", "../escape", "a/../../b", "a/./b", "a//b", "a/", ".", "..",
    "back\\slash", "nul\x00byte", "tab\tkey", "k" * 1025, "long/" + "s" * 201,
]  # fmt: skip


@pytest.mark.parametrize("key", BAD_KEYS, ids=range(len(BAD_KEYS)))
def test_unsafe_keys_are_refused_by_every_operation(store: ObjectStore, key: str) -> None:
    with pytest.raises(InvalidObjectKeyError):
        store.put(key, b"x")
    with pytest.raises(InvalidObjectKeyError):
        store.get(key)
    with pytest.raises(InvalidObjectKeyError):
        store.head(key)
    with pytest.raises(InvalidObjectKeyError):
        store.delete(key)
    assert list(store.list()) == []


def test_key_rules_allow_what_s3_keys_commonly_hold(store: ObjectStore) -> None:
    longest = "/".join(["k" * 200] * 5) + "/" + "k" * 19  # 1024 bytes, segments of <= 200
    for key in (".hidden", "a..b", "dots.../x", longest, "with space/+plus=&?#%.zip"):
        store.put(key, b"ok")
        assert store.get(key) == b"ok"


def test_unicode_keys(store: ObjectStore) -> None:
    keys = ["uploads/ünïcødé/日本語 ファイル.zip", "emoji/😀.txt", "ελληνικά"]
    for key in keys:
        info = store.put(key, key.encode("utf-8"))
        assert info.key == key
        assert store.get(key) == key.encode("utf-8")
        head = store.head(key)
        assert head is not None and head.key == key
    assert [info.key for info in store.list()] == sorted(keys, key=lambda key: key.encode())
    assert [info.key for info in store.list("emoji/")] == ["emoji/😀.txt"]


def test_large_object(store: ObjectStore) -> None:
    data = os.urandom(8 * 1024 * 1024 + 7)
    info = store.put("big/archive.tar.gz", data)
    assert info.size == len(data)
    assert info.etag == hashlib.md5(data).hexdigest()
    assert store.get("big/archive.tar.gz") == data


def test_concurrent_writers_never_expose_a_torn_object(store: ObjectStore) -> None:
    bodies = [bytes([number]) * (1000 + number) for number in range(6)]
    etags = {hashlib.md5(body).hexdigest() for body in bodies}
    failures: list[str] = []
    stop = threading.Event()

    def write(body: bytes) -> None:
        for _ in range(10):
            store.put("race", body)

    def read() -> None:
        while not stop.is_set():
            try:
                data = store.get("race")
            except KeyError:
                continue
            if data not in bodies:
                failures.append(f"torn body of {len(data)} bytes")

    store.put("race", bodies[0])
    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(body,)) for body in bodies]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    reader.join()

    assert failures == []
    head = store.head("race")
    assert head is not None and head.etag in etags
    assert hashlib.md5(store.get("race")).hexdigest() == head.etag


# --- presigned uploads: PUT over HTTP to the URL presign_put gives ----------------------------

REQUEST_METADATA = {"coderev-request": '{"fail_on":"high"}', "uploaded-by": "client"}
_INVOKER_TEMPLATE = Path(__file__).parents[1] / "fixtures" / "templates" / "invoker.yaml"


@contextlib.contextmanager
def _upload_base(store: ObjectStore) -> Iterator[str]:
    """Where a presigned URL is resolved: S3's are absolute; the embedded store's are
    relative to a gateway serving its uploads (as `coderev serve` does)."""
    if isinstance(store, S3ObjectStore):
        yield ""
        return
    from coderev.runtime.gateway import Gateway
    from coderev.runtime.invoker import LocalInvoker

    with (
        LocalInvoker(_INVOKER_TEMPLATE) as invoker,
        Gateway(invoker, port=0, object_store=store) as gateway,
    ):
        yield gateway.url


def _http_put(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, method="PUT", headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def test_a_presigned_put_stores_the_object_with_its_metadata(store: ObjectStore) -> None:
    key = "uploads/4b1d/my shop.zip"
    upload = store.presign_put(key, expires_in=300, metadata=REQUEST_METADATA)
    body = b"PK\x05\x06" + b"\x00" * 18

    assert upload.method == "PUT"
    assert upload.headers == {f"x-amz-meta-{k}": v for k, v in REQUEST_METADATA.items()}
    assert 295 <= (upload.expires_at - datetime.now(UTC)).total_seconds() <= 301
    assert store.head(key) is None  # presigning stores nothing
    with _upload_base(store) as base:
        # urllib would send form-encoded Content-Type otherwise; S3 keeps what is sent
        status = _http_put(base + upload.url, body,
                           {**upload.headers, "Content-Type": "application/zip"})  # fmt: skip

    assert status == 200
    assert store.get(key) == body
    head = store.head(key)
    assert head is not None and head.metadata == REQUEST_METADATA
    assert head.etag == hashlib.md5(body).hexdigest()


def test_s3_signs_the_metadata_headers_into_the_url(
    s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    """moto_server does not check signatures, so what S3 would enforce is checked here: the
    URL is SigV4 and names the metadata headers among its signed headers."""
    store = _s3_store(s3_endpoint, fresh_name("presign"))
    try:
        upload = store.presign_put("uploads/x.zip", expires_in=60, metadata=REQUEST_METADATA)
        query = parse_qs(urlsplit(upload.url).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Expires"] == ["60"]
        signed = set(query["X-Amz-SignedHeaders"][0].split(";"))
        assert {"host", "x-amz-meta-coderev-request", "x-amz-meta-uploaded-by"} <= signed
        assert "x-amz-meta-coderev-request" not in query  # a header, not a query parameter
        assert upload.url.startswith(f"{s3_endpoint}/{store.bucket}/uploads/x.zip?")
    finally:
        _empty_bucket(store)


def test_a_presigned_upload_notifies_as_any_upload(
    s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    store = _s3_store(s3_endpoint, fresh_name("presign"))
    try:
        queue_url = store.configure_notifications(fresh_name("uploads"), prefix="uploads/")
        upload = store.presign_put("uploads/1/shop.zip", expires_in=60, metadata=REQUEST_METADATA)
        body = b"PK\x05\x06" + b"\x00" * 18
        headers = {**upload.headers, "Content-Type": "application/zip"}
        assert _http_put(upload.url, body, headers) == 200

        received: list[S3Notification] = []
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            received = store.receive_notifications(queue_url, wait_seconds=1)
        (record,) = received[0].records
        assert record["eventName"].startswith("ObjectCreated:")
        assert unquote_plus(record["s3"]["object"]["key"]) == "uploads/1/shop.zip"
        assert record["s3"]["object"]["eTag"] == hashlib.md5(body).hexdigest()
    finally:
        _empty_bucket(store)


def test_a_presigned_get_serves_the_object_as_the_content_type_asked(
    store: ObjectStore,
) -> None:
    body = b'{"findings": []}'
    store.put("reports/1/report.json", body)
    link = store.presign_get("reports/1/report.json", expires_in=120,
                             content_type="application/sarif+json")  # fmt: skip

    assert (link.size, link.content_type) == (len(body), "application/sarif+json")
    assert 115 <= (link.expires_at - datetime.now(UTC)).total_seconds() <= 121
    with _upload_base(store) as base, urllib.request.urlopen(base + link.url, timeout=30) as got:
        assert (got.status, got.read()) == (200, body)
        assert got.headers["Content-Type"] == "application/sarif+json"
    with pytest.raises(KeyError):
        store.presign_get("reports/none.json", expires_in=60, content_type="application/json")


def test_copy_keeps_the_bytes_and_replaces_metadata_when_given(store: ObjectStore) -> None:
    body = b"PK\x05\x06" + bytes(range(256)) * 40
    store.put("uploads/a/shop.zip", body, metadata={"coderev-request": "{}"})

    kept = store.copy("uploads/a/shop.zip", "uploads/b/shop.zip")
    replaced = store.copy("uploads/a/shop.zip", "uploads/c/shop.zip",
                          metadata={"coderev-rerun-of": "A1"})  # fmt: skip

    assert store.get("uploads/b/shop.zip") == store.get("uploads/c/shop.zip") == body
    assert kept.etag == replaced.etag == hashlib.md5(body).hexdigest()
    assert (kept.size, kept.metadata) == (len(body), {"coderev-request": "{}"})
    assert replaced.metadata == {"coderev-rerun-of": "A1"}
    with pytest.raises(KeyError):
        store.copy("uploads/none.zip", "uploads/d/x.zip")


@pytest.mark.parametrize("expires_in", [0, 7 * 24 * 3600 + 1])
def test_lifetimes_s3_refuses_are_refused(store: ObjectStore, expires_in: int) -> None:
    with pytest.raises(InvalidExpiryError):
        store.presign_put("uploads/x.zip", expires_in=expires_in)


# --- S3 notifications → SQS -------------------------------------------------------------------


def test_upload_notification_reaches_sqs_as_standard_s3_record(
    s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    store = _s3_store(s3_endpoint, fresh_name("notify"))
    try:
        queue_url = store.configure_notifications(fresh_name("uploads"), prefix="uploads/")
        key = "uploads/tenant a/ünï.zip"
        info = store.put(key, b"PK\x05\x06" + b"\x00" * 18)
        store.put("reports/ignored.json", b"{}")  # outside the prefix: no notification

        received: list[S3Notification] = []
        deadline = time.monotonic() + 15
        while not received and time.monotonic() < deadline:
            received = store.receive_notifications(queue_url, wait_seconds=1)
        assert len(received) == 1, "no ObjectCreated notification within 15 s"
        notification = received[0]
        event = notification.lambda_event
        assert len(event["Records"]) == 1
        record = event["Records"][0]

        assert record["eventSource"] == "aws:s3"
        assert record["eventName"].startswith("ObjectCreated:")
        assert record["eventVersion"].startswith("2.")
        assert record["awsRegion"] == "us-east-1"
        assert record["eventTime"].endswith("Z")
        assert record["s3"]["s3SchemaVersion"] == "1.0"
        assert record["s3"]["bucket"]["name"] == store.bucket
        assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{store.bucket}"
        s3_object = record["s3"]["object"]
        assert s3_object["key"] == quote_plus(key)  # S3 URL-encodes keys in notifications
        assert s3_object["size"] == info.size
        assert s3_object["eTag"] == info.etag
        json.dumps(event)  # the Lambda event is plain JSON
        parsed = S3Model.model_validate(event)  # what a Powertools handler would parse
        parsed_object = parsed.Records[0].s3.object
        assert parsed_object is not None and parsed_object.size == info.size
        assert parsed.Records[0].s3.bucket.name == store.bucket

        store.delete_notification(queue_url, notification.receipt_handle)
        assert store.receive_notifications(queue_url, wait_seconds=1) == []
    finally:
        _empty_bucket(store)


def test_reconfiguring_keeps_other_queues(
    s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    store = _s3_store(s3_endpoint, fresh_name("notify"))
    try:
        uploads = store.configure_notifications(fresh_name("uploads"), prefix="uploads/")
        reports = store.configure_notifications(fresh_name("reports"), prefix="reports/")
        store.configure_notifications(uploads.rsplit("/", 1)[1], prefix="uploads/")  # again
        rules = store.client.get_bucket_notification_configuration(Bucket=store.bucket)
        assert len(rules["QueueConfigurations"]) == 2
        store.put("reports/r.json", b"{}")
        got: list[S3Notification] = []
        deadline = time.monotonic() + 15
        while not got and time.monotonic() < deadline:
            got = store.receive_notifications(reports, wait_seconds=1)
        assert [n.records[0]["s3"]["object"]["key"] for n in got] == ["reports%2Fr.json"]
        assert store.receive_notifications(uploads, wait_seconds=0) == []
    finally:
        _empty_bucket(store)


# --- the local layout ---------------------------------------------------------------------------


def test_local_store_keeps_one_blob_per_key_and_prunes_folders(tmp_path: Path) -> None:
    root = tmp_path / "bucket"
    store = LocalObjectStore(root)
    for body in (b"1", b"22", b"333"):
        store.put("deep/er/key", body)
    store.put("deep", b"file beside the folder")

    blobs = sorted(path.name for path in root.rglob("*.blob"))
    assert len(blobs) == 2
    assert not list(root.rglob("*.tmp"))
    store.delete("deep/er/key")
    assert not (root / "deep.d").exists()
    assert store.get("deep") == b"file beside the folder"


def test_a_local_copy_shares_the_source_blob_and_outlives_it(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    body = b"report" * 100_000
    source = store.put("work/a/report.json", body, content_type="application/json")
    copied = store.copy("work/a/report.json", "reports/a/report.json")

    blobs = {path.stat().st_ino for path in (tmp_path / "bucket").rglob("*.blob")}
    assert len(blobs) == 1  # one file with two names: no byte was copied
    assert (copied.etag, copied.size) == (source.etag, len(body))
    assert copied.version_id != source.version_id
    store.delete("work/a/report.json")  # Finalize deletes the work files once copied
    store.put("reports/a/other.json", b"{}")
    assert store.get("reports/a/report.json") == body
    assert len(list((tmp_path / "bucket").rglob("*.blob"))) == 2


def test_a_local_copy_is_streamed_where_files_cannot_be_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalObjectStore(tmp_path / "bucket")
    body = bytes(range(256)) * 1000
    source = store.put("uploads/a/shop.zip", body, metadata={"coderev-request": "{}"})

    def no_links(*_args: object) -> None:
        raise PermissionError("hard links are not permitted here")

    monkeypatch.setattr(os, "link", no_links)
    copied = store.copy("uploads/a/shop.zip", "uploads/b/shop.zip")
    assert store.get("uploads/b/shop.zip") == body
    assert (copied.etag, copied.metadata) == (source.etag, {"coderev-request": "{}"})
    assert len({p.stat().st_ino for p in (tmp_path / "bucket").rglob("*.blob")}) == 2


def test_local_store_is_shared_by_two_instances(tmp_path: Path) -> None:
    writer, reader = LocalObjectStore(tmp_path), LocalObjectStore(tmp_path)
    info = writer.put("shared/k", b"data", metadata={"a": "b"})
    assert reader.head("shared/k") == info
    assert reader.get("shared/k") == b"data"
