"""The embedded ObjectStore: one bucket as a local directory, with S3's observable behaviour.

It is the zero-service default and the fake of the object store contract suite, so it keeps
what callers can see of S3: the etag is the MD5 hex of the body, every put gets a new version
id, user metadata keys are lower-cased, `list` returns keys in UTF-8 byte order with key, size
and etag only (as ListObjectsV2 does), deleting a missing key is not an error.

Layout under the root, chosen so that keys `a` and `a/b` can both exist (S3 allows it, a file
system does not allow a file and a directory of one name):

    <segment>.d/            a key segment followed by "/"
    <name>.meta.json        the sidecar: key, size, etag, version, content type, metadata
    <name>.<version>.blob   the body of one version, never rewritten in place

A put writes the blob, then atomically replaces the sidecar (the commit point), then removes
the previous blob. Readers take no lock; writers serialize on an flock'd `.lock` file so two
processes sharing a directory cannot orphan each other's blobs.

`presign_put` returns a URL the local gateway (`coderev serve`) accepts a PUT on, and
`presign_get` one it serves a GET of, both signed with a secret of the store: see
`coderev.adapters.embedded.presigned`.

Key rules (shared with the S3 adapter so both refuse the same keys): 1-1024 UTF-8 bytes, no
leading "/", no empty, "." or ".." segment, no backslash or control character, segments of at
most 200 bytes (the file name limit less the suffixes above).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coderev.domain.errors import CoderevError, InputError
from coderev.ports import ByteSource, ObjectInfo, PresignedDownload, PresignedUpload

if TYPE_CHECKING:
    from coderev.adapters.embedded.presigned import UploadSigner

__all__ = [
    "InvalidObjectKeyError",
    "InvalidObjectMetadataError",
    "LocalObjectStore",
    "ObjectStoreError",
    "normalize_metadata",
    "validate_object_key",
]

MAX_KEY_BYTES = 1024
MAX_SEGMENT_BYTES = 200
_META = ".meta.json"
_BLOB = ".blob"
_DIR = ".d"
_READ_RETRIES = 5
_STREAM_PIECE = 1024 * 1024
_METADATA_NAME = re.compile(r"[A-Za-z0-9_-]+")


class ObjectStoreError(CoderevError):
    """The object store backend failed (unreachable, access denied, no such bucket...)."""


class InvalidObjectKeyError(InputError):
    """A key that could escape the store or that S3 and a file system would treat differently."""


class InvalidObjectMetadataError(InputError):
    """User metadata that S3 cannot carry in HTTP headers (non-ASCII, empty or odd names)."""


def validate_object_key(key: str) -> str:
    """Return `key` unchanged if it is acceptable to every ObjectStore, else raise."""
    if not isinstance(key, str) or not key:
        raise InvalidObjectKeyError("object key must be a non-empty string")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidObjectKeyError(f"object key is longer than {MAX_KEY_BYTES} UTF-8 bytes")
    if key.startswith("/"):
        raise InvalidObjectKeyError(f"object key {key!r} is absolute")
    if "\\" in key or any(ord(char) < 32 or ord(char) == 127 for char in key):
        raise InvalidObjectKeyError(f"object key {key!r} has a backslash or control character")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise InvalidObjectKeyError(f"object key {key!r} has an empty, '.' or '..' segment")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidObjectKeyError(
                f"object key {key!r} has a segment longer than {MAX_SEGMENT_BYTES} UTF-8 bytes"
            )
    return key


def normalize_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Lower-case the names (as S3 does) and refuse what cannot travel as an HTTP header."""
    normalized: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidObjectMetadataError("metadata names and values must be strings")
        if not _METADATA_NAME.fullmatch(name):
            raise InvalidObjectMetadataError(
                f"metadata name {name!r} must be ASCII letters, digits, '-' or '_'"
            )
        if not all(32 <= ord(char) < 127 for char in value):
            raise InvalidObjectMetadataError(
                f"metadata value of {name!r} must be printable ASCII (encode it first)"
            )
        normalized[name.lower()] = value
    return normalized


def md5_etag(data: bytes) -> str:
    """S3's etag of a single-part upload: the MD5 hex of the body, without quotes."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class LocalObjectStore:
    """An ObjectStore on a local directory; see the module docstring for layout and rules."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        signer: UploadSigner | None = None,
        durable: bool = True,
        work_in_memory: bool = False,
    ) -> None:
        """`durable`: every object is on the disk (fsync'd) before a put returns. False for a
        store whose directory is removed when its process is done (a CLI review's private
        data dir, coderev.runtime.platform.ephemeral): the page cache holds its objects until
        they are deleted, and the writes never wait for the disk (0.5-1 s of Django's review
        on this machine's disk). `work_in_memory`: nothing but this process reads the
        analyses' work files here (that same private data dir), so the analysis steps hold
        them in memory and write none (coderev.pipeline.steps_work); a store reopened in
        another process writes them."""
        self.root = Path(root)
        self.durable = durable
        self.work_in_memory = work_in_memory
        self._thread_lock = threading.Lock()
        self._signer = signer

    @property
    def local(self) -> bool:
        """Its objects are files on this machine: a work file gains nothing from compression
        (coderev.pipeline.steps writes the shard inputs plain here, gzip'd on S3)."""
        return True

    def reopener(self) -> Callable[[], LocalObjectStore]:
        """A picklable way to open this store again in another process (a worker that runs
        a step on its own, as a Lambda sandbox would)."""
        return functools.partial(LocalObjectStore, self.root, durable=self.durable)

    @property
    def upload_signer(self) -> UploadSigner:
        """Signs this store's presigned uploads (its secret: `.presign.key` under the root)."""
        if self._signer is None:
            from coderev.adapters.embedded.presigned import (
                SECRET_FILE,
                UploadSigner,
                load_or_create_secret,
            )

            self._signer = UploadSigner(load_or_create_secret(self.root / SECRET_FILE))
        return self._signer

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
        version_id = uuid.uuid4().hex
        sidecar = self._sidecar(key)
        with self._write_lock():
            sidecar.parent.mkdir(parents=True, exist_ok=True)
            self._write_atomically(self._blob(sidecar, version_id), body)
            return self._commit(key, sidecar, version_id, len(body), md5_etag(body),
                                content_type, user_metadata)  # fmt: skip

    def put_stream(
        self,
        key: str,
        source: ByteSource,
        *,
        content_type: str = "application/octet-stream",
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        """`put` of a body read from `source` in pieces: it goes to a temporary file beside
        the object (under the store's root) while its MD5 is computed, then is committed as
        `put` commits. Without the lock while the body arrives: a slow upload blocks no one.
        An error from `source` (the upload too large, the client gone) leaves nothing."""
        validate_object_key(key)
        user_metadata = normalize_metadata(metadata)
        version_id = uuid.uuid4().hex
        sidecar = self._sidecar(key)
        temporary = sidecar.with_name(f".{version_id}.upload.tmp")
        with self._write_lock():  # a delete's pruning of empty folders must not race the mkdir
            sidecar.parent.mkdir(parents=True, exist_ok=True)
            target = open(temporary, "xb")  # noqa: SIM115 - closed below, outside the lock
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with target:
                while piece := source.read(_STREAM_PIECE):
                    digest.update(piece)
                    target.write(piece)
                    size += len(piece)
                target.flush()
                if self.durable:
                    os.fsync(target.fileno())
            with self._write_lock():
                os.replace(temporary, self._blob(sidecar, version_id))
                return self._commit(key, sidecar, version_id, size, digest.hexdigest(),
                                    content_type, user_metadata)  # fmt: skip
        finally:
            temporary.unlink(missing_ok=True)

    def _commit(self, key: str, sidecar: Path, version_id: str, size: int, etag: str,
                content_type: str, metadata: dict[str, str]) -> ObjectInfo:
        """Under the write lock, with the blob written: the sidecar makes it the object."""
        record = {
            "key": key,
            "size": size,
            "etag": etag,
            "version_id": version_id,
            "content_type": content_type,
            "metadata": metadata,
        }
        previous = self._read_sidecar(sidecar)
        self._write_atomically(sidecar, json.dumps(record, ensure_ascii=False).encode())
        if previous is not None:
            self._blob(sidecar, previous["version_id"]).unlink(missing_ok=True)
        return _info(record)

    def get(self, key: str) -> bytes:
        validate_object_key(key)
        sidecar = self._sidecar(key)
        # A concurrent put may remove the blob between our two reads: read the sidecar again.
        for _ in range(_READ_RETRIES):
            record = self._read_sidecar(sidecar)
            if record is None:
                raise KeyError(key)
            try:
                return self._blob(sidecar, record["version_id"]).read_bytes()
            except FileNotFoundError:
                continue
        raise ObjectStoreError(f"object {key!r} kept changing while being read")

    def head(self, key: str) -> ObjectInfo | None:
        validate_object_key(key)
        record = self._read_sidecar(self._sidecar(key))
        return None if record is None else _info(record)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        directory_part, _, _ = prefix.rpartition("/")
        if directory_part:
            try:
                validate_object_key(directory_part)
            except InvalidObjectKeyError:  # no valid key can start with it, as on S3
                return
            start = self.root.joinpath(*(segment + _DIR for segment in directory_part.split("/")))
        else:
            start = self.root
        if not start.is_dir():
            return
        found: list[tuple[bytes, dict[str, Any]]] = []
        for folder, _dirs, files in os.walk(start):
            for name in files:
                if not name.endswith(_META):
                    continue
                record = self._read_sidecar(Path(folder) / name)
                if record is not None and record["key"].startswith(prefix):
                    found.append((record["key"].encode("utf-8"), record))
        found.sort(key=lambda item: item[0])
        for _, record in found:
            yield ObjectInfo(key=record["key"], size=record["size"], etag=record["etag"])

    def delete(self, key: str) -> None:
        validate_object_key(key)
        sidecar = self._sidecar(key)
        with self._write_lock():
            record = self._read_sidecar(sidecar)
            if record is None:
                return
            sidecar.unlink(missing_ok=True)
            self._blob(sidecar, record["version_id"]).unlink(missing_ok=True)
            self._prune_empty_folders(sidecar.parent)

    def presign_put(
        self, key: str, *, expires_in: int, metadata: Mapping[str, str] | None = None
    ) -> PresignedUpload:
        """A URL relative to the gateway serving this store (`coderev serve`): see
        `coderev.adapters.embedded.presigned`."""
        validate_object_key(key)
        return self.upload_signer.presign(
            key, expires_in=expires_in, metadata=normalize_metadata(metadata)
        )

    def copy(
        self, source_key: str, key: str, *, metadata: Mapping[str, str] | None = None
    ) -> ObjectInfo:
        """S3's CopyObject, with the source's content type and its metadata unless `metadata`
        replaces it; KeyError if absent. The new version's blob is a hard link to the source's
        (a blob is never changed once written, and each name of it is deleted on its own), so
        no byte is read or written, and the copy has the source's ETag, as S3 gives a copy of a
        single-part object (every object here is one) its MD5. Where the file system has no
        hard links it is streamed from the source's blob (never whole in memory) instead."""
        validate_object_key(source_key)
        validate_object_key(key)
        sidecar = self._sidecar(source_key)
        for _ in range(_READ_RETRIES):  # a concurrent put may remove the blob: read again
            record = self._read_sidecar(sidecar)
            if record is None:
                raise KeyError(source_key)
            blob = self._blob(sidecar, record["version_id"])
            chosen = record["metadata"] if metadata is None else metadata
            try:
                linked = self._linked_copy(key, blob, record, normalize_metadata(chosen))
                if linked is not None:
                    return linked
                with open(blob, "rb") as body:
                    return self.put_stream(key, body, content_type=record["content_type"],
                                           metadata=chosen)  # fmt: skip
            except FileNotFoundError:
                continue
        raise ObjectStoreError(f"object {source_key!r} kept changing while being copied")

    def _linked_copy(self, key: str, blob: Path, record: Mapping[str, Any],
                     metadata: dict[str, str]) -> ObjectInfo | None:  # fmt: skip
        """`copy` by a hard link to `blob`; None when this file system cannot link it.
        FileNotFoundError when the blob is gone (a put replaced the source meanwhile)."""
        version_id = uuid.uuid4().hex
        sidecar = self._sidecar(key)
        with self._write_lock():
            sidecar.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(blob, self._blob(sidecar, version_id))
            except FileNotFoundError:
                raise
            except OSError:  # no hard links here (EPERM, EXDEV, EMLINK...): stream it
                return None
            return self._commit(key, sidecar, version_id, record["size"], record["etag"],
                                record["content_type"], metadata)  # fmt: skip

    def presign_get(self, key: str, *, expires_in: int, content_type: str) -> PresignedDownload:
        """A URL relative to the gateway serving this store; KeyError when `key` is absent."""
        info = self.head(key)
        if info is None:
            raise KeyError(key)
        return self.upload_signer.presign_download(
            key, expires_in=expires_in, content_type=content_type, size=info.size
        )

    # --- layout -------------------------------------------------------------------------------

    def _sidecar(self, key: str) -> Path:
        *folders, name = key.split("/")
        return self.root.joinpath(*(folder + _DIR for folder in folders), name + _META)

    @staticmethod
    def _blob(sidecar: Path, version_id: str) -> Path:
        return sidecar.with_name(f"{sidecar.name.removesuffix(_META)}.{version_id}{_BLOB}")

    @staticmethod
    def _read_sidecar(sidecar: Path) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = json.loads(sidecar.read_bytes())
        except FileNotFoundError:
            return None
        return record

    def _write_atomically(self, path: Path, payload: bytes) -> None:
        temporary = path.with_name(f".{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as stream:
                stream.write(payload)
                stream.flush()
                if self.durable:
                    os.fsync(stream.fileno())
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)

    def _prune_empty_folders(self, folder: Path) -> None:
        while folder != self.root and folder.name.endswith(_DIR):
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop climbing
                return
            folder = folder.parent

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with self._thread_lock, open(self.root / ".lock", "a+b") as lock_file:
            fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)


def _info(record: Mapping[str, Any]) -> ObjectInfo:
    return ObjectInfo(
        key=record["key"],
        size=record["size"],
        etag=record["etag"],
        version_id=record["version_id"],
        metadata=dict(record["metadata"]),
    )
