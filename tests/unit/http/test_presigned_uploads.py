"""Presigned uploads to the embedded store: the signature, and the gateway's PUT /_objects/.

The signature binds the key, the expiry and the metadata headers: a forged, expired or
tampered request is refused (403) before its body is read; a good one is written through the
store the gateway was given (under `coderev serve`: the notifying store, so ingest runs).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import stat
import threading
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.adapters.embedded.presigned import (
    MAX_EXPIRES_IN,
    SECRET_FILE,
    InvalidExpiryError,
    PresignError,
    SignatureMismatchError,
    UploadExpiredError,
    UploadSigner,
    load_or_create_secret,
    metadata_from_headers,
)
from coderev.runtime.event_sources.s3_notifications import NotifyingObjectStore
from coderev.runtime.gateway import Gateway
from coderev.runtime.invoker import LocalInvoker

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "invoker.yaml"
REQUEST = {"coderev-request": '{"fail_on":"high"}'}


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def params(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


# --- the signature ------------------------------------------------------------------------------


def test_a_presigned_url_names_the_key_expiry_and_signature() -> None:
    clock = Clock()
    upload = UploadSigner(b"k" * 32, clock).presign("uploads/a b/x.zip", expires_in=900,
                                                    metadata=REQUEST)  # fmt: skip

    assert upload.url.startswith("/_objects/uploads/a%20b/x.zip?")
    assert params(upload.url)["expires"] == str(int(clock.now) + 900)
    assert upload.expires_at.timestamp() == int(clock.now) + 900
    assert upload.headers == {"x-amz-meta-coderev-request": '{"fail_on":"high"}'}
    assert upload.method == "PUT"


def test_the_signed_request_is_accepted_until_it_expires() -> None:
    clock = Clock()
    signer = UploadSigner(b"k" * 32, clock)
    query = params(signer.presign("uploads/x.zip", expires_in=60, metadata=REQUEST).url)

    signer.verify("uploads/x.zip", expires=query["expires"], signature=query["signature"],
                  metadata=REQUEST)  # fmt: skip
    clock.now += 60
    signer.verify("uploads/x.zip", expires=query["expires"], signature=query["signature"],
                  metadata=REQUEST)  # fmt: skip
    clock.now += 1
    with pytest.raises(UploadExpiredError, match="expired"):
        signer.verify("uploads/x.zip", expires=query["expires"], signature=query["signature"],
                      metadata=REQUEST)  # fmt: skip


@pytest.mark.parametrize(
    ("key", "expires_delta", "metadata"),
    [
        ("uploads/y.zip", 0, REQUEST),  # another key
        ("uploads/x.zip", 3600, REQUEST),  # a longer life
        ("uploads/x.zip", 0, {"coderev-request": '{"fail_on":"none"}'}),  # tampered metadata
        ("uploads/x.zip", 0, {}),  # metadata left out
        ("uploads/x.zip", 0, {**REQUEST, "extra": "1"}),  # metadata added
    ],
)
def test_anything_changed_breaks_the_signature(
    key: str, expires_delta: int, metadata: dict[str, str]
) -> None:
    signer = UploadSigner(b"k" * 32, Clock())
    query = params(signer.presign("uploads/x.zip", expires_in=60, metadata=REQUEST).url)

    with pytest.raises(SignatureMismatchError):
        signer.verify(key, expires=str(int(query["expires"]) + expires_delta),
                      signature=query["signature"], metadata=metadata)  # fmt: skip


def test_another_secret_is_a_forgery_and_missing_parameters_are_refused() -> None:
    clock = Clock()
    forged = params(UploadSigner(b"f" * 32, clock).presign("uploads/x.zip", expires_in=60,
                                                           metadata={}).url)  # fmt: skip
    signer = UploadSigner(b"k" * 32, clock)

    with pytest.raises(SignatureMismatchError):
        signer.verify("uploads/x.zip", expires=forged["expires"], signature=forged["signature"],
                      metadata={})  # fmt: skip
    for expires, signature in ((None, "ab"), ("123", None), ("soon", "ab")):
        with pytest.raises(PresignError):
            signer.verify("uploads/x.zip", expires=expires, signature=signature, metadata={})


def test_an_expired_url_is_still_checked_for_forgery_first() -> None:
    clock = Clock()
    signer = UploadSigner(b"k" * 32, clock)
    query = params(signer.presign("uploads/x.zip", expires_in=1, metadata={}).url)
    clock.now += 10

    with pytest.raises(SignatureMismatchError):  # not "expired": nothing is told to a forger
        signer.verify("uploads/x.zip", expires=query["expires"], signature="0" * 64, metadata={})


@pytest.mark.parametrize("expires_in", [0, -1, MAX_EXPIRES_IN + 1])
def test_lifetimes_s3_would_refuse_are_refused(expires_in: int) -> None:
    with pytest.raises(InvalidExpiryError):
        UploadSigner(b"k" * 32).presign("uploads/x.zip", expires_in=expires_in, metadata={})


def test_metadata_headers_are_read_case_insensitively() -> None:
    headers = [("X-Amz-Meta-Coderev-Request", "{}"), ("Content-Type", "application/zip")]
    assert metadata_from_headers(headers) == {"coderev-request": "{}"}


def test_the_secret_is_made_once_per_store_private_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "store" / SECRET_FILE
    secrets: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: secrets.append(load_or_create_secret(path)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [SECRET_FILE]  # no temporary left
    store = LocalObjectStore(tmp_path / "store")
    assert store.upload_signer.secret == secrets[0]
    assert list(store.list()) == []  # the secret is no object


# --- the gateway's PUT /_objects/ ---------------------------------------------------------------


@pytest.fixture(scope="module")
def invoker():
    with LocalInvoker(TEMPLATE) as local:
        yield local


@pytest.fixture
def store(tmp_path: Path) -> NotifyingObjectStore:
    return NotifyingObjectStore(LocalObjectStore(tmp_path / "objects"), bucket="coderev")


@pytest.fixture
def gateway(invoker: LocalInvoker, store: NotifyingObjectStore):
    with Gateway(invoker, port=0, object_store=store, max_upload_bytes=1024) as running:
        yield running


def put(gateway: Gateway, url: str, body: bytes | None, headers: dict[str, str] | None = None,
        method: str = "PUT") -> tuple[int, dict[str, str], dict[str, str]]:  # fmt: skip
    connection = http.client.HTTPConnection(*gateway.address, timeout=10)
    try:
        connection.request(method, url, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def test_a_presigned_put_stores_the_object_and_notifies(
    gateway: Gateway, store: NotifyingObjectStore
) -> None:
    notified: list[dict[str, object]] = []
    store.add_listener(notified.append)
    upload = store.presign_put("uploads/1/shop.zip", expires_in=60, metadata=REQUEST)

    status, headers, body = put(gateway, upload.url, b"PK\x03\x04archive",
                                {**upload.headers, "Content-Type": "application/zip"})  # fmt: skip

    assert status == 200, body
    etag = hashlib.md5(b"PK\x03\x04archive", usedforsecurity=False).hexdigest()
    assert headers["ETag"] == f'"{etag}"' and headers["x-amz-version-id"]
    assert body == {"key": "uploads/1/shop.zip", "size": 11, "etag": etag}
    assert store.get("uploads/1/shop.zip") == b"PK\x03\x04archive"
    info = store.head("uploads/1/shop.zip")
    assert info is not None and info.metadata == REQUEST
    (record,) = notified
    assert record["eventName"] == "ObjectCreated:Put"


def test_keys_with_spaces_and_unicode_travel_quoted(
    gateway: Gateway, store: NotifyingObjectStore
) -> None:
    key = "uploads/2/my repo (été).zip"
    upload = store.presign_put(key, expires_in=60)
    assert quote(key, safe="/") in upload.url

    status, _, body = put(gateway, upload.url, b"PK\x03\x04")

    assert status == 200, body
    assert store.get(key) == b"PK\x03\x04"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("drop-header", "SignatureDoesNotMatch"),
        ("tamper-header", "SignatureDoesNotMatch"),
        ("other-key", "SignatureDoesNotMatch"),
        ("longer-life", "SignatureDoesNotMatch"),
        ("no-signature", "AccessDenied"),
    ],
)
def test_a_tampered_or_forged_put_is_403_and_stores_nothing(
    gateway: Gateway, store: NotifyingObjectStore, change: str, code: str
) -> None:
    upload = store.presign_put("uploads/3/shop.zip", expires_in=60, metadata=REQUEST)
    url, headers = upload.url, dict(upload.headers)
    query = params(url)
    if change == "drop-header":
        headers = {}
    elif change == "tamper-header":
        headers["x-amz-meta-coderev-request"] = '{"fail_on":"none"}'
    elif change == "other-key":
        url = url.replace("uploads/3/", "uploads/4/")
    elif change == "longer-life":
        url = url.replace(f"expires={query['expires']}", f"expires={int(query['expires']) + 9}")
    else:
        url = url.split("?")[0]

    status, _, body = put(gateway, url, b"PK\x03\x04", headers)

    assert (status, body["error"]) == (403, code), body
    assert body["message"]
    assert list(store.list()) == []


def test_an_expired_put_is_403_with_a_clear_message(invoker: LocalInvoker, tmp_path: Path) -> None:
    clock = Clock()
    store = LocalObjectStore(tmp_path / "objects", signer=UploadSigner(b"k" * 32, clock))
    upload = store.presign_put("uploads/5/shop.zip", expires_in=60)
    clock.now += 61
    with Gateway(invoker, port=0, object_store=store) as running:
        status, _, body = put(running, upload.url, b"PK\x03\x04")

    assert (status, body["error"]) == (403, "RequestExpired")
    assert "expired at" in body["message"] and "ask for a new one" in body["message"]
    assert store.head("uploads/5/shop.zip") is None


def test_a_body_over_the_upload_limit_is_413(gateway: Gateway, store: NotifyingObjectStore) -> None:
    upload = store.presign_put("uploads/6/big.zip", expires_in=60)

    status, headers, body = put(gateway, upload.url, b"x" * 1025)

    assert (status, body["error"]) == (413, "EntityTooLarge")
    assert "1,024-byte upload limit" in body["message"]
    assert headers.get("Connection") == "close"
    assert store.head("uploads/6/big.zip") is None


def test_a_chunked_body_over_the_limit_is_413(
    gateway: Gateway, store: NotifyingObjectStore
) -> None:
    upload = store.presign_put("uploads/7/big.zip", expires_in=60)

    def chunks():
        for _ in range(5):
            yield b"y" * 300

    connection = http.client.HTTPConnection(*gateway.address, timeout=10)
    try:
        connection.request("PUT", upload.url, body=chunks(), encode_chunked=True,
                           headers={"Transfer-Encoding": "chunked"})  # fmt: skip
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        connection.close()

    assert (status, body["error"]) == (413, "EntityTooLarge")
    assert store.head("uploads/7/big.zip") is None


def test_other_methods_are_405(gateway: Gateway, store: NotifyingObjectStore) -> None:
    upload = store.presign_put("uploads/8/shop.zip", expires_in=60)
    status, _, body = put(gateway, upload.url, None, method="DELETE")
    assert (status, body["error"]) == (405, "MethodNotAllowed")
    status, _, body = put(gateway, upload.url, None, method="GET")  # the method is signed
    assert (status, body["error"]) == (403, "SignatureDoesNotMatch")


def test_a_store_that_presigns_elsewhere_serves_no_uploads(invoker: LocalInvoker) -> None:
    class ElsewhereStore:  # like S3: its URLs point at itself, not at the gateway
        pass

    with Gateway(invoker, port=0, object_store=ElsewhereStore()) as running:  # type: ignore[arg-type]
        status, _, body = put(running, "/_objects/uploads/x.zip?expires=1&signature=ab", b"x")

    assert (status, body["error"]) == (404, "NoSuchUpload")


def test_api_routes_keep_their_own_body_limit(invoker: LocalInvoker, tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "objects")
    with Gateway(invoker, port=0, object_store=store, max_body_bytes=10) as running:
        upload = store.presign_put("uploads/9/shop.zip", expires_in=60)
        assert put(running, upload.url, b"z" * 100)[0] == 200  # uploads: their own limit
