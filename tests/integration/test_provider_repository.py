"""The ProviderRepository contract, run against SQLite (embedded) and the real PostgreSQL.

PostgreSQL: tests/integration/conftest.py's `postgres_url` (it must answer: an unreachable
server FAILS the test). Each test migrates a schema of its own, dropped afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.concurrency import at_once
from tests.integration.conftest import SqlBackend, SteppingClock, migrated

from coderev.domain.errors import ConflictError
from coderev.ports import ProviderHealth
from coderev.providers.errors import ProviderExistsError, ProviderNotFoundError
from coderev.providers.model import ModelSpec, NewProvider, SealedKey
from coderev.providers.repository import ProviderRepository
from coderev.providers.sql_repository import SqlProviderRepository

pytestmark = pytest.mark.integration

MODELS = (
    ModelSpec("m-economy", tier="economy", context_window=64_000, max_output_tokens=2048,
              input_usd_per_mtok=0.15, output_usd_per_mtok=0.6),
    ModelSpec("m-premium", tier="premium", input_usd_per_mtok=15.0, output_usd_per_mtok=75.0,
              enabled=False),
)  # fmt: skip
BLOB = b'{"v":1,"kid":"local:0","dk":"AA==","ct":"AA=="}'


@pytest.fixture
def repository(sql_backend: SqlBackend, clock: SteppingClock) -> SqlProviderRepository:
    return migrated(SqlProviderRepository, sql_backend, clock)


def test_a_provider_is_kept_whole_with_its_models_in_order(
    repository: SqlProviderRepository,
) -> None:
    port: ProviderRepository = repository
    created = port.create(NewProvider("gw", "openai", base_url="http://127.0.0.1:9/v1",
                                      timeout_s=12.5, models=MODELS),
                          SealedKey(BLOB, "local:0", 1))  # fmt: skip

    assert created.models == MODELS
    assert (created.key_version, created.key_id, created.has_key) == (1, "local:0", True)
    assert created.created_at.tzinfo is not None and created.key_updated_at == created.created_at
    assert port.get("gw") == created and port.list() == [created]
    assert port.sealed_key("gw") == SealedKey(BLOB, "local:0", 1)
    assert port.get("nope") is None
    with pytest.raises(ProviderExistsError):
        port.create(NewProvider("gw", "anthropic"), None)


def test_updates_change_what_is_given(repository: SqlProviderRepository) -> None:
    repository.create(NewProvider("gw", "openai", models=MODELS), None)

    updated = repository.update("gw", enabled=False, models=MODELS[::-1])
    assert updated.enabled is False and updated.models == MODELS[::-1]
    assert updated.updated_at > updated.created_at
    assert repository.update("gw", base_url="http://h/").base_url == "http://h/"
    assert repository.update("gw", timeout_s=5).base_url == "http://h/"  # unchanged
    assert repository.update("gw", base_url=None).base_url is None
    assert repository.sealed_key("gw") is None
    with pytest.raises(ProviderNotFoundError):
        repository.update("nope", enabled=True)
    with pytest.raises(ProviderNotFoundError):
        repository.sealed_key("nope")


def test_key_rotation_is_compare_and_set(repository: SqlProviderRepository) -> None:
    repository.create(NewProvider("gw", "openai"), None)

    racers = [lambda n=n: _try(repository, SealedKey(b"blob-%d" % n, "k", 1)) for n in range(4)]
    outcomes = at_once(racers, timeout=30)

    assert sorted(outcomes) == ["conflict"] * 3 + ["ok"]
    sealed = repository.sealed_key("gw")
    assert sealed is not None and sealed.version == 1
    rotated = repository.replace_key("gw", SealedKey(b"v2", "k", 2), expected_version=1)
    assert rotated.key_version == 2 and repository.key_ids() == {"k": 1}


def _try(repository: SqlProviderRepository, key: SealedKey) -> str:
    try:
        repository.replace_key("gw", key, expected_version=0)
    except ConflictError:
        return "conflict"
    return "ok"


def test_a_rewrap_never_undoes_a_rotation(repository: SqlProviderRepository) -> None:
    repository.create(NewProvider("gw", "openai"), SealedKey(b"old", "master-1", 1))
    read = repository.sealed_key("gw")
    assert read is not None
    repository.replace_key("gw", SealedKey(b"rotated", "master-2", 2), expected_version=1)

    assert not repository.rewrap_key("gw", SealedKey(b"old-again", "master-2", 1),
                                     replaces=read.blob)  # fmt: skip
    assert repository.sealed_key("gw") == SealedKey(b"rotated", "master-2", 2)
    assert repository.rewrap_key("gw", SealedKey(b"rotated-again", "master-3", 2),
                                 replaces=b"rotated")  # fmt: skip
    assert repository.key_ids() == {"master-3": 1}
    assert repository.get("gw").key_version == 2  # type: ignore[union-attr]


def test_health_counts_consecutive_failures(repository: SqlProviderRepository) -> None:
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    outcomes = [False, False, True, False]
    for minute, ok in enumerate(outcomes):
        repository.record_health(ProviderHealth("gw", ok, when + timedelta(minutes=minute),
                                                latency_ms=None if not ok else 4.5,
                                                error=None if ok else "x" * 2000))  # fmt: skip
    repository.record_health(ProviderHealth("env-openai", True, when, latency_ms=1.0))

    health = repository.health()
    assert list(health) == ["env-openai", "gw"]
    assert health["gw"].consecutive_failures == 1 and not health["gw"].ok
    assert health["gw"].checked_at == when + timedelta(minutes=3)
    assert health["gw"].error == "x" * 1024
    assert health["env-openai"] == ProviderHealth("env-openai", True, when, 1.0, None, 0)
