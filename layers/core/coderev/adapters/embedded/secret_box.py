"""The embedded SecretBox: envelope encryption under a local master key (AES-256-GCM, from
`cryptography`), and the envelope format the KMS SecretBox shares.

Envelope: each `seal` makes a fresh 256-bit data key, encrypts the secret with it (AES-GCM,
the context as associated data), and wraps the data key with the master key (AES-GCM again,
the context and the master key's id as associated data). Re-wrapping under a new master key
then touches only the data key, and a blob moved to another record (another context) fails
to open, as with KMS's encryption context.

Blob: JSON `{"v": 1, "kid": <master key id>, "dk": <wrapped data key>, "ct": <ciphertext>}`
(base64 fields; nonces prepended). JSON so an operator can see which key wraps a blob.

Master keys (`LocalKeyring`): CODEREV_MASTER_KEY, base64 keys of 32 bytes separated by
commas, else the key file `<data dir>/master.key` (one base64 key a line), created with mode
0600 on first use and refused when others can read it. The first key seals; every key opens.
A key's id is `local:` and 16 hex digits of a keyed hash of it (not reversible, not the key).

Rotation without downtime (`rotate_key_file`): the new key is written first in the file, the
old ones stay; processes sharing the file re-read it when a blob names a key they do not
have, so a blob sealed by a newer key opens everywhere at once. Once every blob is re-wrapped
(`coderev providers rewrap`), `retire_keys` drops the keys nothing uses.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from coderev.domain.errors import ConfigError, SecretBoxError

__all__ = [
    "AesGcmSecretBox",
    "Envelope",
    "LocalKeyring",
    "blob_key_id",
    "context_bytes",
    "key_id_of",
    "new_master_key",
    "open_data",
    "parse_keys",
    "read_key_file",
    "retire_keys",
    "rotate_key_file",
    "seal_data",
]

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = 1


# --- the envelope both SecretBoxes write -----------------------------------------------------


def context_bytes(context: Mapping[str, str], *extra: str) -> bytes:
    """The associated data of a context: canonical JSON (sorted keys), then `extra`."""
    return json.dumps([dict(sorted(context.items())), *extra], separators=(",", ":")).encode()


def seal_data(data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def open_data(data_key: bytes, sealed: bytes, aad: bytes) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise SecretBoxError(
            "the sealed secret does not open: altered, or sealed for another record"
        ) from None


class Envelope:
    """A decoded blob: the master key's id, the wrapped data key, the ciphertext."""

    __slots__ = ("ciphertext", "key_id", "wrapped_key")

    def __init__(self, key_id: str, wrapped_key: bytes, ciphertext: bytes) -> None:
        self.key_id = key_id
        self.wrapped_key = wrapped_key
        self.ciphertext = ciphertext

    def __repr__(self) -> str:
        return f"Envelope(key_id={self.key_id!r})"

    def encode(self) -> bytes:
        document = {"v": FORMAT_VERSION, "kid": self.key_id,
                    "dk": base64.b64encode(self.wrapped_key).decode(),
                    "ct": base64.b64encode(self.ciphertext).decode()}  # fmt: skip
        return json.dumps(document, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, blob: bytes) -> Envelope:
        try:
            document = json.loads(blob)
            if document.get("v") != FORMAT_VERSION:
                raise SecretBoxError(f"sealed secret of unknown format {document.get('v')!r}")
            return cls(str(document["kid"]), base64.b64decode(document["dk"], validate=True),
                       base64.b64decode(document["ct"], validate=True))  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise SecretBoxError("not a sealed secret (unreadable envelope)") from None


# --- master keys -----------------------------------------------------------------------------


def new_master_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def key_id_of(key: bytes) -> str:
    """`local:` + 16 hex digits of HMAC-SHA256(key, "coderev master key id")."""
    digest = hmac.new(key, b"coderev master key id", hashlib.sha256).hexdigest()
    return f"local:{digest[:16]}"


def parse_keys(text: str, where: str) -> list[bytes]:
    """Keys as base64 (standard or URL-safe), separated by commas or new lines."""
    keys: list[bytes] = []
    for number, part in enumerate(text.replace(",", "\n").split(), start=1):
        standard = part.replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise ConfigError(f"{where}: key {number} is not {KEY_BYTES} bytes in base64")
        keys.append(key)
    if not keys:
        raise ConfigError(f"{where} holds no key")
    return keys


class LocalKeyring:
    """The master keys: fixed ones (CODEREV_MASTER_KEY), or those of a key file, read again
    when asked for a key id it does not know (another process rotated)."""

    def __init__(self, keys: Sequence[bytes] | None = None, *, path: Path | None = None) -> None:
        if (keys is None) == (path is None):
            raise ValueError("give either the keys or the key file")
        self.path = path
        self._lock = threading.Lock()
        self._keys: list[bytes] = read_key_file(path) if path is not None else list(keys or ())
        if not self._keys:
            raise ConfigError("no master key given")

    def __repr__(self) -> str:
        return f"LocalKeyring(current={self.current_id!r}, keys={len(self._keys)})"

    @property
    def current(self) -> bytes:
        return self._keys[0]

    @property
    def current_id(self) -> str:
        return key_id_of(self._keys[0])

    def ids(self) -> list[str]:
        return [key_id_of(key) for key in self._keys]

    def find(self, key_id: str) -> bytes | None:
        for attempt in range(2):
            with self._lock:
                for key in self._keys:
                    if hmac.compare_digest(key_id_of(key), key_id):
                        return key
                if attempt or self.path is None:
                    return None
                self._keys = read_key_file(self.path)
        return None

    def reload(self) -> None:
        if self.path is not None:
            with self._lock:
                self._keys = read_key_file(self.path)


def read_key_file(path: Path, *, create: bool = True) -> list[bytes]:
    """The keys of a key file, made (one new key, mode 0600) when absent and `create`."""
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_new(path, [new_master_key()], exclusive=True)
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"master key file {path} can be read by others (mode {stat.S_IMODE(mode):04o}); "
                "chmod 600 it"
            )
        return parse_keys(path.read_text(encoding="ascii"), f"master key file {path}")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the master key file {path}: {exc}") from None


def _write_new(path: Path, keys: Sequence[bytes], *, exclusive: bool = False) -> None:
    """Write `keys` to `path`, mode 0600 from the start, through a temporary file so no
    reader ever sees it half written: linked in place when `exclusive` (a process that made
    it first wins, and its keys stay), else renamed over it."""
    text = "".join(base64.b64encode(key).decode() + "\n" for key in keys)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if exclusive:
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        else:
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def rotate_key_file(path: Path) -> str:
    """Put a new master key first in the key file (it seals from now on; the others still
    open); the new key's id."""
    keys = read_key_file(path)
    new = new_master_key()
    _write_new(path, [new, *keys])
    return key_id_of(new)


def retire_keys(path: Path, in_use: Callable[[], set[str]]) -> list[str]:
    """Drop from the key file every key but the current one that no stored blob uses; the ids
    dropped. `in_use`: the key ids the stored blobs name (read after the re-wrap)."""
    keys = read_key_file(path, create=False)
    used = in_use()
    kept = [keys[0], *(key for key in keys[1:] if key_id_of(key) in used)]
    dropped = [key_id_of(key) for key in keys if key not in kept]
    if dropped:
        _write_new(path, kept)
    return dropped


# --- the SecretBox ---------------------------------------------------------------------------


class AesGcmSecretBox:
    """SecretBox under local master keys (see the module docstring)."""

    def __init__(self, keyring: LocalKeyring) -> None:
        self.keyring = keyring

    def __repr__(self) -> str:
        return f"AesGcmSecretBox(key_id={self.key_id!r})"

    @property
    def key_id(self) -> str:
        self.keyring.reload()
        return self.keyring.current_id

    def seal(self, plaintext: bytes, context: Mapping[str, str]) -> bytes:
        self.keyring.reload()  # seal under the key file's current key, whoever rotated it
        master, key_id = self.keyring.current, self.keyring.current_id
        data_key = secrets.token_bytes(KEY_BYTES)
        ciphertext = seal_data(data_key, plaintext, context_bytes(context))
        wrapped = seal_data(master, data_key, context_bytes(context, key_id))
        return Envelope(key_id, wrapped, ciphertext).encode()

    def open(self, blob: bytes, context: Mapping[str, str]) -> bytes:
        envelope = Envelope.decode(blob)
        master = self.keyring.find(envelope.key_id)
        if master is None:
            raise SecretBoxError(
                f"the master key {envelope.key_id} that sealed this secret is not configured "
                "(CODEREV_MASTER_KEY or the master key file)"
            )
        data_key = open_data(master, envelope.wrapped_key, context_bytes(context, envelope.key_id))
        return open_data(data_key, envelope.ciphertext, context_bytes(context))


def blob_key_id(blob: bytes) -> str:
    """Which master key wraps a blob (no key needed to tell)."""
    return Envelope.decode(blob).key_id
