"""The registry's use cases on the embedded database: keys sealed on the way in, rotated as
new versions, re-wrapped under a new master key without a moment where a key does not open,
and published changes that never carry a key.

The repository's own contract (SQLite and PostgreSQL) is
tests/integration/test_provider_repository.py.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import SecretStr

from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.embedded.secret_box import AesGcmSecretBox, LocalKeyring, rotate_key_file
from coderev.analyses.sql_repository import database_url
from coderev.domain.errors import ConflictError, SecretBoxError
from coderev.migrations import open_repository
from coderev.providers.errors import (
    InvalidProviderError,
    ProviderExistsError,
    ProviderNotFoundError,
)
from coderev.providers.model import ModelSpec, NewProvider
from coderev.providers.registry import ProviderRegistry
from coderev.providers.sql_repository import SqlProviderRepository

KEY = "sk-proj-REGISTRY-0123456789abcdef"
NEW_KEY = "sk-proj-ROTATED-fedcba9876543210"


class Setup:
    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path
        self.repository = open_repository(SqlProviderRepository, database_url(None, tmp_path))
        self.box = AesGcmSecretBox(LocalKeyring(path=tmp_path / "master.key"))
        self.bus = InMemoryEventBus()
        self.registry = ProviderRegistry(self.repository, lambda: self.box, self.bus)

    def events(self) -> list[dict[str, object]]:
        return [record.event for record in self.bus.recorded]

    def database_bytes(self) -> bytes:
        self.repository.close()
        with sqlite3.connect(self.data / "coderev.db") as db:
            db.execute("pragma wal_checkpoint(full)")
        return b"".join(p.read_bytes() for p in self.data.glob("coderev.db*"))


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    return Setup(tmp_path)


def test_a_key_is_sealed_on_the_way_in_and_opens_for_the_catalog(setup: Setup) -> None:
    record = setup.registry.create(NewProvider("openai", "openai"), SecretStr(KEY))

    assert (record.has_key, record.key_version, record.key_id) == (True, 1, setup.box.key_id)
    assert [m.model for m in record.models][:1] == ["gpt-4.1-mini"]  # the default list
    opened = setup.registry.open_key("openai")
    assert opened is not None and opened.get_secret_value() == KEY
    assert KEY not in repr(record) + repr(setup.registry) + repr(opened)
    assert KEY.encode() not in setup.database_bytes()


def test_rotating_a_key_stores_the_next_version(setup: Setup) -> None:
    setup.registry.create(NewProvider("gw", "openai", base_url="http://127.0.0.1:9/v1"))
    assert setup.registry.open_key("gw") is None

    first = setup.registry.rotate_key("gw", SecretStr(KEY))
    second = setup.registry.rotate_key("gw", SecretStr(NEW_KEY))

    assert (first.key_version, second.key_version) == (1, 2)
    assert setup.registry.open_key("gw") == SecretStr(NEW_KEY)
    # the old version's blob put back in place does not open: the version is authenticated
    sealed_v1 = setup.box.seal(KEY.encode(), {"purpose": "coderev-provider-api-key",
                                              "provider": "gw", "key_version": "1"})  # fmt: skip
    with setup.repository.engine.begin() as conn:
        conn.exec_driver_sql("update providers set key_blob = ?", (sealed_v1,))
    with pytest.raises(SecretBoxError):
        setup.registry.open_key("gw")


def test_a_rotation_that_lost_a_race_is_a_conflict(setup: Setup) -> None:
    setup.registry.create(NewProvider("openai", "openai"), SecretStr(KEY))
    sealed = setup.repository.sealed_key("openai")
    assert sealed is not None
    setup.registry.rotate_key("openai", SecretStr(NEW_KEY))
    with pytest.raises(ConflictError, match="rotated meanwhile"):
        setup.repository.replace_key("openai", sealed.__class__(sealed.blob, sealed.key_id, 2),
                                     expected_version=1)  # fmt: skip
    assert setup.registry.open_key("openai") == SecretStr(NEW_KEY)


def test_master_key_rotation_rewraps_every_key_without_downtime(setup: Setup) -> None:
    for name in ("openai", "anthropic"):
        setup.registry.create(NewProvider(name, name), SecretStr(f"{KEY}-{name}"))
    setup.registry.create(NewProvider("keyless", "openai", base_url="http://127.0.0.1:9/v1"))
    old = setup.box.key_id

    new = rotate_key_file(setup.data / "master.key")
    # between the rotation and the re-wrap: old blobs open, new ones are sealed with the new key
    assert setup.registry.open_key("openai") == SecretStr(f"{KEY}-openai")
    assert setup.repository.key_ids() == {old: 2}
    setup.registry.rotate_key("anthropic", SecretStr(NEW_KEY))
    assert setup.repository.key_ids() == {old: 1, new: 1}

    outcome = setup.registry.rewrap()

    assert outcome.rewrapped == ("openai",) and outcome.current == ("anthropic",)
    assert outcome.key_id == new and setup.repository.key_ids() == {new: 2}
    assert setup.registry.open_key("openai") == SecretStr(f"{KEY}-openai")
    assert setup.registry.open_key("anthropic") == SecretStr(NEW_KEY)
    assert setup.registry.get("openai").key_version == 1  # the same key, sealed again
    assert setup.registry.rewrap().rewrapped == ()


def test_updates_disable_and_validation(setup: Setup) -> None:
    setup.registry.create(NewProvider("openai", "openai"), SecretStr(KEY))
    models = (ModelSpec("m-small", tier="economy", input_usd_per_mtok=0.1),
              ModelSpec("m-big", tier="premium", context_window=200_000))  # fmt: skip

    updated = setup.registry.update("openai", base_url="http://127.0.0.1:8/v1", models=models,
                                    timeout_s=30)  # fmt: skip
    disabled = setup.registry.disable("openai")

    assert updated.models == models and updated.base_url == "http://127.0.0.1:8/v1"
    assert disabled.enabled is False and disabled.models == models
    assert setup.registry.update("openai", base_url=None).base_url is None
    with pytest.raises(ProviderExistsError):
        setup.registry.create(NewProvider("openai", "openai"))
    with pytest.raises(ProviderNotFoundError):
        setup.registry.update("nope", enabled=True)
    with pytest.raises(InvalidProviderError, match="listed twice"):
        setup.registry.update("openai", models=(ModelSpec("a"), ModelSpec("a")))
    for bad in ("", " sk-padded", "x" * 5000):
        with pytest.raises(InvalidProviderError) as raised:
            setup.registry.rotate_key("openai", SecretStr(bad))
        assert bad.strip() == "" or bad.strip()[:20] not in str(raised.value)
    for name, kind in (("Upper", "openai"), ("ok", "gemini")):
        with pytest.raises(InvalidProviderError):
            NewProvider(name, kind)


def test_changes_are_published_without_the_key(setup: Setup) -> None:
    setup.registry.create(NewProvider("openai", "openai"), SecretStr(KEY))
    setup.registry.update("openai", timeout_s=20)
    setup.registry.rotate_key("openai", SecretStr(NEW_KEY))
    setup.registry.disable("openai")

    events = setup.events()
    assert [e["type"] for e in events] == [
        "coderev.provider.created", "coderev.provider.updated",
        "coderev.provider.key_rotated", "coderev.provider.disabled",
    ]  # fmt: skip
    assert [e["data"]["key_version"] for e in events] == [1, 1, 2, 2]  # type: ignore[index]
    text = json.dumps(events)
    assert KEY not in text and NEW_KEY not in text
