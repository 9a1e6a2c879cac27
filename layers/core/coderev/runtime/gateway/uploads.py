"""The gateway's presigned upload endpoint: `PUT /_objects/<key>?expires=...&signature=...`.

What S3 does for a presigned PutObject URL, for the embedded object store: the signature
(see `coderev.adapters.embedded.presigned`) is checked against the key, the expiry and the
request's `x-amz-meta-*` headers before a byte of the body is read; then the body is streamed
(never held whole: the server hands it over as a `ByteSource`) through the store the handlers
use, which under `coderev serve` is the notifying store, so the
S3 `ObjectCreated` notification fires (and ingest runs) exactly as for any other upload.

Answers, each a JSON `{"error": <S3-style code>, "message": ...}` but for 200:
200 stored (with the ETag and x-amz-version-id headers S3 sends); 403 `SignatureDoesNotMatch`
(forged, or the key, expiry or a metadata header changed), `RequestExpired` or
`AccessDenied` (no signature); 411 without a Content-Length or chunked body; 413
`EntityTooLarge` past the gateway's upload limit (by default ingest's archive limit, 1 GiB);
404 when the store presigns no local uploads (S3: its URLs point at S3 itself); 405 for
another method than PUT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote

from coderev.adapters.embedded.presigned import (
    UPLOAD_PATH_PREFIX,
    PresignError,
    metadata_from_headers,
)
from coderev.ports import StreamingObjectStore

if TYPE_CHECKING:
    from email.message import Message

    from coderev.ports import ByteSource, ObjectInfo, ObjectStore

__all__ = ["UPLOAD_PATH_PREFIX", "UploadEndpoint", "UploadReply", "UploadTooLargeError"]


class UploadTooLargeError(Exception):
    """The body exceeds the upload limit (raised by the body reader)."""


@dataclass(frozen=True)
class UploadReply:
    status: int
    body: Mapping[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)


def _error(status: int, code: str, message: str) -> UploadReply:
    return UploadReply(status, {"error": code, "message": message})


@dataclass(frozen=True)
class UploadEndpoint:
    """Serves presigned PUTs into the store `store()` returns (asked per request, so the
    platform's notifying store is used once the platform has wired it)."""

    store: Callable[[], ObjectStore]
    max_bytes: int

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(UPLOAD_PATH_PREFIX)

    def handle(
        self, method: str, path: str, query: str, headers: Message,
        read_body: Callable[[int], ByteSource],
    ) -> UploadReply:  # fmt: skip
        """One request; `read_body(limit)` is the body, whose reads raise UploadTooLargeError
        past `limit` bytes."""
        if method != "PUT":
            return _error(405, "MethodNotAllowed", f"{method} is not allowed: PUT the object")
        store = self.store()
        signer = getattr(store, "upload_signer", None)
        if signer is None:
            return _error(404, "NoSuchUpload", "this gateway's object store takes no uploads")
        key = unquote(path[len(UPLOAD_PATH_PREFIX) :])
        params = parse_qs(query)
        metadata = metadata_from_headers(headers.items())
        try:
            signer.verify(key, expires=_one(params, "expires"),
                          signature=_one(params, "signature"), metadata=metadata)  # fmt: skip
        except PresignError as exc:
            return _error(403, exc.code, str(exc))
        declared = headers.get("Content-Length")
        chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        if declared is None and not chunked:
            return _error(411, "MissingContentLength", "send the archive with a Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return self._too_large(int(declared))
        content_type = headers.get("Content-Type") or "application/octet-stream"
        try:
            info = _put(store, key, read_body(self.max_bytes), content_type, metadata)
        except UploadTooLargeError:
            return self._too_large(None)
        reply_headers = [("ETag", f'"{info.etag}"')]
        if info.version_id:
            reply_headers.append(("x-amz-version-id", info.version_id))
        return UploadReply(200, {"key": key, "size": info.size, "etag": info.etag}, reply_headers)

    def _too_large(self, size: int | None) -> UploadReply:
        shown = f"{size:,} bytes" if size is not None else "the upload"
        return _error(413, "EntityTooLarge",
                      f"{shown} is over the {self.max_bytes:,}-byte upload limit")  # fmt: skip


def _put(store: ObjectStore, key: str, body: ByteSource, content_type: str,
         metadata: Mapping[str, str]) -> ObjectInfo:
    """Streamed into the store when it can take a stream (the embedded one can)."""
    if isinstance(store, StreamingObjectStore):
        return store.put_stream(key, body, content_type=content_type, metadata=metadata)
    return store.put(key, body.read(), content_type=content_type, metadata=metadata)


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None
