"""The gateway's presigned object routes: `PUT /_objects/<key>?expires=...&signature=...`
(uploads) and `GET /_objects/<key>?expires=...&content-type=...&signature=...` (downloads).

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
another method than PUT, GET or HEAD.

A PUT's 200 also names the analysis the upload starts (`analysis_id`, `status_url` and an
`x-coderev-analysis-id` header) when the key is under `uploads/`: the record is made with
the same idempotent `create_if_absent` ingest calls when the notification arrives, so both
find one record. A first upload claims the analysis reserved with its URL; a re-upload to a
URL already used creates a new analysis (a new object version), whose id the client learns
here instead of never.

Downloads are what S3 does for a presigned GetObject URL: the signature covers the method,
key, expiry and the content type the object is served as; 200 with the body, `ETag`, and
`Content-Encoding: gzip` when the client's Accept-Encoding takes gzip (S3 serves objects as
stored; compressing on the way is what a CDN in front of it would do); 403 as for uploads;
404 `NoSuchKey` once the object is gone.
"""

from __future__ import annotations

import gzip
import json
import logging
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

    from coderev.adapters.embedded.presigned import UploadSigner
    from coderev.ports import ByteSource, ObjectInfo, ObjectStore

__all__ = [
    "DIRECT_UPLOAD_TOO_LARGE",
    "UPLOAD_PATH_PREFIX",
    "UploadEndpoint",
    "UploadReply",
    "UploadTooLargeError",
    "handlers_analyses",
]

logger = logging.getLogger(__name__)

# What the gateway answers (413) for a request body past what a function can be given: API
# Gateway base64-encodes a binary body into the event, and Lambda takes 6 MB of event, so an
# archive POSTed to /analyses can be ~4.5 MB (4,717,569 bytes measured with curl's headers).
# The same text is template.yaml's REQUEST_TOO_LARGE gateway response (a test holds them equal).
DIRECT_UPLOAD_TOO_LARGE = (
    "the request body is over the direct upload limit (about 4.5 MB: it travels base64-encoded "
    "in Lambda's 6 MB request); upload a larger archive through POST /analyses/uploads, which "
    "answers a presigned URL to PUT it to (any size)"
)


class UploadTooLargeError(Exception):
    """The body exceeds the upload limit (raised by the body reader)."""


@dataclass(frozen=True)
class UploadReply:
    status: int
    body: Mapping[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)
    content: bytes | None = None  # a download's bytes (then `headers` name their type)

    def encoded(self) -> tuple[list[tuple[str, str]], bytes]:
        """The reply's headers (with its Content-Type) and body as sent."""
        if self.content is not None:
            return list(self.headers), self.content
        body = json.dumps(dict(self.body), separators=(",", ":")).encode()
        return [("Content-Type", "application/json"), *self.headers], body


def _error(status: int, code: str, message: str) -> UploadReply:
    return UploadReply(status, {"error": code, "message": message})


@dataclass(frozen=True)
class UploadEndpoint:
    """Serves presigned PUTs into the store `store()` returns (asked per request, so the
    platform's notifying store is used once the platform has wired it)."""

    store: Callable[[], ObjectStore]
    max_bytes: int
    # (key, stored object) -> the id of the analysis of that upload; None: none recorded here
    analyses: Callable[[str, ObjectInfo], str | None] | None = None

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(UPLOAD_PATH_PREFIX)

    def handle(
        self, method: str, path: str, query: str, headers: Message,
        read_body: Callable[[int], ByteSource],
    ) -> UploadReply:  # fmt: skip
        """One request; `read_body(limit)` is the body, whose reads raise UploadTooLargeError
        past `limit` bytes."""
        if method not in ("PUT", "GET", "HEAD"):
            return _error(405, "MethodNotAllowed", f"{method} is not allowed: PUT or GET")
        store = self.store()
        signer = getattr(store, "upload_signer", None)
        if signer is None:
            return _error(404, "NoSuchUpload", "this gateway's object store serves no objects")
        key = unquote(path[len(UPLOAD_PATH_PREFIX) :])
        params = parse_qs(query)
        if method != "PUT":
            return self._download(store, signer, key, params, headers)
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
        answer: dict[str, Any] = {"key": key, "size": info.size, "etag": info.etag}
        analysis_id = self._analysis_of(key, info)
        if analysis_id is not None:
            answer |= {"analysis_id": analysis_id, "status_url": f"/analyses/{analysis_id}"}
            reply_headers.append(("x-coderev-analysis-id", analysis_id))
        return UploadReply(200, answer, reply_headers)

    def _analysis_of(self, key: str, info: ObjectInfo) -> str | None:
        if self.analyses is None or not key.startswith("uploads/"):
            return None
        return self.analyses(key, info)

    def _download(
        self, store: ObjectStore, signer: UploadSigner, key: str,
        params: Mapping[str, list[str]], headers: Message,
    ) -> UploadReply:  # fmt: skip
        content_type = _one(params, "content-type") or ""
        try:
            signer.verify(key, expires=_one(params, "expires"), signature=_one(params, "signature"),
                          metadata={"content-type": content_type}, method="GET")  # fmt: skip
        except PresignError as exc:
            return _error(403, exc.code, str(exc))
        try:
            body = store.get(key)
        except KeyError:
            return _error(404, "NoSuchKey", "the object is gone: ask for a new URL")
        reply_headers = [("Content-Type", content_type), ("Vary", "Accept-Encoding")]
        if _accepts_gzip(headers.get("Accept-Encoding", "")):
            body = gzip.compress(body, compresslevel=6, mtime=0)
            reply_headers.append(("Content-Encoding", "gzip"))
        return UploadReply(200, {}, reply_headers, content=body)

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


def handlers_analyses(key: str, info: ObjectInfo) -> str | None:
    """The analysis the handlers' records hold for an upload just stored (see the module
    docstring); None, logged, when the records cannot be reached: ingest still records it."""
    from coderev import bootstrap
    from coderev.config import get_settings
    from coderev.domain.errors import CoderevError
    from coderev.service.uploads import record_uploaded

    bucket = getattr(bootstrap.object_store(), "bucket", None) or get_settings().s3_bucket
    try:
        return record_uploaded(bootstrap.analysis_repository(), str(bucket), info).id
    except CoderevError:
        logger.exception("could not record the analysis of %s", key)
        return None


def _accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip (RFC 9110: `gzip;q=0` refuses it)."""
    for item in accept_encoding.lower().split(","):
        coding, _, parameters = item.strip().partition(";")
        if coding.strip() in ("gzip", "x-gzip", "*"):
            quality = parameters.strip().removeprefix("q=").strip() or "1"
            try:
                return float(quality) > 0
            except ValueError:
                return False
    return False


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None
