"""Presigned uploads to and downloads from the embedded object store: what S3's presigned PUT
and GET URLs are to S3.

`LocalObjectStore.presign_put` returns `/_objects/<key>?expires=<unix>&signature=<hex>`, a
URL relative to the local gateway (`coderev serve`), which accepts the upload and writes it
through the notifying store, so the S3 notification fires as for a real upload. The signature
is HMAC-SHA256 over the method, the key, the expiry and the user metadata the object will
carry (names lower-cased, sorted): the URL is good for that key, until that time, with exactly
those `x-amz-meta-*` headers. A changed key, expiry or header is refused with
`SignatureMismatchError`, a late upload with `UploadExpiredError` (both 403, as S3 answers).

The secret is generated once per store (`.presign.key` under its root, mode 0600, created
atomically so concurrent processes agree): every process serving one data directory accepts
the others' URLs, and deleting the data directory revokes every URL. It is not derived from
JWT_SECRET_KEY on purpose: one key per purpose, so a leaked upload secret mints no tokens.

Downloads (`presign_download`, for reports too large for a Lambda response) use the same
scheme with the method GET and the content type the object is served as in place of the
metadata: `/_objects/<key>?expires=..&content-type=..&signature=..`. The method is signed, so
a download URL never authorizes an upload of the same key, nor the reverse.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from coderev.domain.errors import InputError
from coderev.ports import PresignedDownload, PresignedUpload

__all__ = [
    "MAX_EXPIRES_IN",
    "METADATA_HEADER_PREFIX",
    "UPLOAD_PATH_PREFIX",
    "InvalidExpiryError",
    "PresignError",
    "SignatureMismatchError",
    "UploadExpiredError",
    "UploadSigner",
    "check_expires_in",
    "load_or_create_secret",
    "metadata_from_headers",
    "metadata_headers",
]

UPLOAD_PATH_PREFIX = "/_objects/"
METADATA_HEADER_PREFIX = "x-amz-meta-"
MAX_EXPIRES_IN = 7 * 24 * 3600  # S3's limit for SigV4 presigned URLs
SECRET_FILE = ".presign.key"  # noqa: S105 - the file's name, not a secret
_SECRET_BYTES = 32


class InvalidExpiryError(InputError):
    """A presigned URL cannot be made for that long (S3's SigV4 limit is 7 days)."""


def check_expires_in(expires_in: int) -> int:
    """`expires_in` if S3 would honour it (1 s to 7 days), else InvalidExpiryError."""
    if isinstance(expires_in, bool) or not 1 <= expires_in <= MAX_EXPIRES_IN:
        raise InvalidExpiryError(f"expires_in must be 1 to {MAX_EXPIRES_IN} seconds")
    return expires_in


class PresignError(InputError):
    """A presigned upload that must be refused; `code` names why, as S3's error codes do."""

    code = "AccessDenied"


class SignatureMismatchError(PresignError):
    """The signature does not match the key, expiry and metadata headers of the request."""

    code = "SignatureDoesNotMatch"


class UploadExpiredError(PresignError):
    """A correctly signed upload that arrived after its expiry."""

    code = "RequestExpired"


def metadata_headers(metadata: Mapping[str, str]) -> dict[str, str]:
    """The `x-amz-meta-*` headers that carry `metadata` (names as given: lower-cased)."""
    return {METADATA_HEADER_PREFIX + name: value for name, value in metadata.items()}


def metadata_from_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The user metadata a request's `x-amz-meta-*` headers carry (names lower-cased)."""
    return {
        name.lower().removeprefix(METADATA_HEADER_PREFIX): value
        for name, value in headers
        if name.lower().startswith(METADATA_HEADER_PREFIX)
    }


def load_or_create_secret(path: Path) -> bytes:
    """The secret in `path`; created (0600) if absent. Concurrent creators agree on one."""
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as stream:
            stream.write(secrets.token_hex(_SECRET_BYTES))
        with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


@dataclass(frozen=True)
class UploadSigner:
    """Signs and checks presigned PUTs of one store."""

    secret: bytes = field(repr=False)
    clock: Callable[[], float] = time.time

    def presign(self, key: str, *, expires_in: int, metadata: Mapping[str, str]) -> PresignedUpload:
        """The upload of `key` with `metadata` (already normalized), for `expires_in` s."""
        expires = int(self.clock()) + check_expires_in(expires_in)
        query = urlencode({"expires": expires, "signature": self.signature(key, expires, metadata)})
        return PresignedUpload(
            url=f"{UPLOAD_PATH_PREFIX}{quote(key, safe='/')}?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
            headers=metadata_headers(metadata),
        )

    def presign_download(
        self, key: str, *, expires_in: int, content_type: str, size: int
    ) -> PresignedDownload:
        """The download of `key` (of `size` bytes) served as `content_type`, for `expires_in` s."""
        expires = int(self.clock()) + check_expires_in(expires_in)
        signed = {"content-type": content_type}
        query = urlencode({"expires": expires, "content-type": content_type,
                           "signature": self.signature(key, expires, signed, method="GET")})
        return PresignedDownload(
            url=f"{UPLOAD_PATH_PREFIX}{quote(key, safe='/')}?{query}",
            expires_at=datetime.fromtimestamp(expires, UTC),
            content_type=content_type,
            size=size,
        )

    def signature(
        self, key: str, expires: int, metadata: Mapping[str, str], *, method: str = "PUT"
    ) -> str:
        lines = [method, key, str(expires)]
        lines += [f"{name.lower()}:{value}" for name, value in sorted(metadata.items())]
        message = "\n".join(lines).encode("utf-8")
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def verify(
        self, key: str, *, expires: str | None, signature: str | None,
        metadata: Mapping[str, str], method: str = "PUT",
    ) -> None:  # fmt: skip
        """Raise unless the request is one this signer presigned (for `method`: a download
        signs its content type as `metadata`) and it is not late."""
        if not expires or not signature or not expires.isdigit():
            raise PresignError("the URL lacks its expires and signature parameters")
        wanted = self.signature(key, int(expires), metadata, method=method)
        if not hmac.compare_digest(wanted, signature.lower()):
            raise SignatureMismatchError(
                "the signature does not match this key, expiry and x-amz-meta-* headers: "
                "send exactly the headers the upload URL came with"
            )
        if int(expires) < self.clock():
            moment = datetime.fromtimestamp(int(expires), UTC).isoformat()
            raise UploadExpiredError(f"the URL expired at {moment}: ask for a new one")
