"""The embedded SecretBox: AES-GCM envelopes under local master keys, the key file, rotation.

The KMS SecretBox runs the same envelope checks against moto_server's KMS in
tests/integration/test_kms_secret_box.py.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from coderev import bootstrap
from coderev.adapters.embedded.secret_box import (
    AesGcmSecretBox,
    LocalKeyring,
    key_id_of,
    new_master_key,
    parse_keys,
    retire_keys,
    rotate_key_file,
)
from coderev.domain.errors import ConfigError, SecretBoxError

SECRET = b"sk-live-0123456789abcdefghijklmnop"
CONTEXT = {"provider": "openai", "purpose": "test", "key_version": "1"}


def _box(tmp_path: Path) -> AesGcmSecretBox:
    return AesGcmSecretBox(LocalKeyring(path=tmp_path / "master.key"))


def test_a_sealed_secret_opens_with_its_context_and_hides_the_plaintext(tmp_path: Path) -> None:
    box = _box(tmp_path)
    blob = box.seal(SECRET, CONTEXT)

    assert box.open(blob, dict(reversed(list(CONTEXT.items())))) == SECRET  # order is no matter
    assert SECRET not in blob and base64.b64encode(SECRET) not in blob
    assert json.loads(blob)["kid"] == box.key_id
    assert box.seal(SECRET, CONTEXT) != blob  # fresh data key and nonces each time


@pytest.mark.parametrize(
    "context",
    [
        {**CONTEXT, "provider": "anthropic"},  # moved to another record
        {**CONTEXT, "key_version": "2"},
        {k: v for k, v in CONTEXT.items() if k != "purpose"},
    ],
)
def test_another_context_does_not_open(tmp_path: Path, context: dict[str, str]) -> None:
    box = _box(tmp_path)
    with pytest.raises(SecretBoxError) as raised:
        box.open(box.seal(SECRET, CONTEXT), context)
    assert SECRET.decode() not in str(raised.value)


def test_an_altered_blob_does_not_open(tmp_path: Path) -> None:
    box = _box(tmp_path)
    envelope = json.loads(box.seal(SECRET, CONTEXT))
    ciphertext = bytearray(base64.b64decode(envelope["ct"]))
    ciphertext[-1] ^= 1
    envelope["ct"] = base64.b64encode(bytes(ciphertext)).decode()
    with pytest.raises(SecretBoxError, match="does not open"):
        box.open(json.dumps(envelope).encode(), CONTEXT)
    with pytest.raises(SecretBoxError, match="not a sealed secret"):
        box.open(b"sk-not-a-blob", CONTEXT)


def test_another_master_key_does_not_open(tmp_path: Path) -> None:
    blob = _box(tmp_path / "a").seal(SECRET, CONTEXT)
    with pytest.raises(SecretBoxError, match="is not configured"):
        _box(tmp_path / "b").open(blob, CONTEXT)


def test_the_key_file_is_made_private_and_a_readable_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "master.key"
    box = AesGcmSecretBox(LocalKeyring(path=path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_keys(path.read_text(), "file")[0] and box.key_id.startswith("local:")
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        LocalKeyring(path=path)


def test_master_keys_from_the_variable(tmp_path: Path) -> None:
    first, second = new_master_key(), new_master_key()
    url_safe = base64.urlsafe_b64encode(first).decode().rstrip("=")
    text = f"{url_safe},{base64.b64encode(second).decode()}"
    keyring = LocalKeyring(parse_keys(text, "CODEREV_MASTER_KEY"))
    assert keyring.ids() == [key_id_of(first), key_id_of(second)]
    for bad in ("", "c2hvcnQ=", "not base64!"):
        with pytest.raises(ConfigError, match="CODEREV_MASTER_KEY"):
            parse_keys(bad, "CODEREV_MASTER_KEY")


def test_nothing_shows_a_key(tmp_path: Path) -> None:
    box = _box(tmp_path)
    master = box.keyring.current
    shown = repr(box) + repr(box.keyring) + box.key_id
    assert base64.b64encode(master).decode() not in shown and master.hex() not in shown
    assert box.key_id == key_id_of(master)


def test_rotation_keeps_old_blobs_opening_and_seals_with_the_new_key(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    box = AesGcmSecretBox(LocalKeyring(path=path))
    other_process = AesGcmSecretBox(LocalKeyring(path=path))  # read the file before rotation
    old_id = box.key_id
    old_blob = box.seal(SECRET, CONTEXT)

    new_id = rotate_key_file(path)

    assert new_id != old_id and box.key_id == new_id
    new_blob = box.seal(SECRET, CONTEXT)
    assert json.loads(new_blob)["kid"] == new_id
    assert box.open(old_blob, CONTEXT) == SECRET
    # the other process never re-read the file: it learns the new key when a blob names it
    assert other_process.open(new_blob, CONTEXT) == SECRET
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # retiring: the old key stays while a blob uses it, goes once none does
    assert retire_keys(path, lambda: {old_id, new_id}) == []
    assert retire_keys(path, lambda: {new_id}) == [old_id]
    assert box.open(new_blob, CONTEXT) == SECRET
    with pytest.raises(SecretBoxError):
        AesGcmSecretBox(LocalKeyring(path=path)).open(old_blob, CONTEXT)


def test_processes_racing_to_make_the_key_file_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    probe = (
        "import sys; from pathlib import Path; "
        "from coderev.adapters.embedded.secret_box import LocalKeyring; "
        f"print(LocalKeyring(path=Path({str(path)!r})).current_id)"
    )
    runs = [subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE, text=True)
            for _ in range(4)]  # fmt: skip
    ids = {run.communicate(timeout=60)[0].strip() for run in runs}
    assert len(ids) == 1 and ids == {LocalKeyring(path=path).current_id}


def test_bootstrap_picks_the_box_by_configuration(
    embedded_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = bootstrap.secret_box()
    assert isinstance(box, AesGcmSecretBox) and (embedded_data_dir / "master.key").is_file()

    key = new_master_key()
    monkeypatch.setenv("CODEREV_MASTER_KEY", base64.b64encode(key).decode())
    bootstrap.reset()
    assert bootstrap.secret_box().key_id == key_id_of(key)

    monkeypatch.setenv("CODEREV_KMS_KEY_ID", "alias/coderev-providers")
    bootstrap.reset()
    assert type(bootstrap.secret_box()).__name__ == "KmsSecretBox"

    monkeypatch.delenv("CODEREV_KMS_KEY_ID")
    monkeypatch.delenv("CODEREV_MASTER_KEY")
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    bootstrap.reset()
    with pytest.raises(ConfigError, match="CODEREV_KMS_KEY_ID"):
        bootstrap.secret_box()
