"""RegistryCatalog: what the router may choose from (the registry, else the environment), the
clients it builds (which key, which URL), their cache per key version, and the health probe.
A fake builder stands in for coderev.providers.sdk.build_provider (tests/fake_providers.py);
one test builds a real SDK client to check what it is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.fake_providers import FakeBuilder

from coderev.adapters.embedded.secret_box import AesGcmSecretBox, LocalKeyring
from coderev.analyses.sql_repository import database_url
from coderev.config import settings_for
from coderev.migrations import open_repository
from coderev.providers.catalog import REDACTED, RegistryCatalog, implied_entries
from coderev.providers.errors import ProviderNotFoundError
from coderev.providers.health import probe_providers
from coderev.providers.model import ModelSpec, NewProvider
from coderev.providers.registry import ProviderRegistry
from coderev.providers.sql_repository import SqlProviderRepository

ENV_KEY = "sk-env-OPENAI-000111222333444"
KEY = "sk-registry-GATEWAY-555666777888"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry(tmp_path: Path) -> ProviderRegistry:
    repository = open_repository(SqlProviderRepository, database_url(None, tmp_path))
    box = AesGcmSecretBox(LocalKeyring(path=tmp_path / "master.key"))
    return ProviderRegistry(repository, lambda: box)


def _catalog(
    registry: ProviderRegistry, builder: FakeBuilder, environ: dict[str, str] | None = None,
    clock: Clock | None = None,
) -> RegistryCatalog:  # fmt: skip
    settings = settings_for(environ or {})
    return RegistryCatalog(registry, implied=lambda: implied_entries(settings), build=builder,
                           ttl_s=30, clock=clock or Clock())  # fmt: skip


def test_an_empty_registry_offers_the_providers_the_environment_implies(
    registry: ProviderRegistry,
) -> None:
    builder = FakeBuilder()
    environ = {"OPENAI_API_KEY": ENV_KEY, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9/"}
    catalog = _catalog(registry, builder, environ)

    assert {m.provider for m in catalog.models()} == {"openai", "anthropic"}
    assert all(m.kind == m.provider and m.enabled for m in catalog.models())
    client = catalog.provider("openai")
    assert (client.api_key, client.max_retries) == (ENV_KEY, 0)  # type: ignore[attr-defined]
    assert catalog.provider("anthropic").base_url == "http://127.0.0.1:9/"  # type: ignore[attr-defined]
    with pytest.raises(ProviderNotFoundError):
        catalog.provider("hf")
    assert ENV_KEY not in repr(catalog) + repr(catalog.entries())
    assert _catalog(registry, FakeBuilder()).models() == ()  # nothing set: nothing offered


def test_once_registered_the_registry_alone_decides(registry: ProviderRegistry) -> None:
    registry.create(
        NewProvider(
            "gateway",
            "openai",
            base_url="http://127.0.0.1:9/v1",
            models=(ModelSpec("m1", input_usd_per_mtok=1), ModelSpec("m0", enabled=False)),
        ),
        SecretStr(KEY),
    )
    registry.create(NewProvider("off", "anthropic", enabled=False), SecretStr(KEY))
    builder = FakeBuilder()
    catalog = _catalog(registry, builder, {"OPENAI_API_KEY": ENV_KEY})

    assert [(m.provider, m.model) for m in catalog.models()] == [("gateway", "m1")]
    client = catalog.provider("gateway")
    assert client.api_key == KEY and client.base_url == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]
    for absent in ("off", "openai"):
        with pytest.raises(ProviderNotFoundError):
            catalog.provider(absent)


def test_a_rotated_key_builds_a_new_client_once_the_cache_expires(
    registry: ProviderRegistry,
) -> None:
    registry.create(NewProvider("gateway", "openai"), SecretStr(KEY))
    builder, clock = FakeBuilder(), Clock()
    catalog = _catalog(registry, builder, clock=clock)
    first = catalog.provider("gateway")
    assert catalog.provider("gateway") is first and len(builder.built) == 1

    registry.rotate_key("gateway", SecretStr("sk-rotated-999999999"))
    assert catalog.provider("gateway") is first  # within CODEREV_PROVIDER_CACHE_SECONDS
    clock.now = 31
    second = catalog.provider("gateway")
    assert second is not first and second.api_key == "sk-rotated-999999999"  # type: ignore[attr-defined]
    assert catalog.provider("gateway") is second


def test_a_registered_provider_never_gets_the_environments_key_or_url(
    registry: ProviderRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real build_provider: a keyless registered openai provider is refused rather than
    given OPENAI_API_KEY (which would go to the gateway's URL)."""
    from coderev.domain.errors import ProviderAuthError

    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/env")
    registry.create(NewProvider("gateway", "openai", base_url="http://127.0.0.1:9/v1"))
    registry.create(NewProvider("plain", "openai"), SecretStr(KEY))
    catalog = RegistryCatalog(registry)

    with pytest.raises(ProviderAuthError) as refused:
        catalog.provider("gateway")
    assert ENV_KEY not in str(refused.value)
    client = catalog.provider("plain")
    assert client.base_url is None  # type: ignore[attr-defined]  # the SDK's default
    assert ENV_KEY not in repr(client) and KEY not in repr(client)


def test_health_probes_each_provider_on_its_cheapest_model_and_redacts(
    registry: ProviderRegistry,
) -> None:
    models = (ModelSpec("big", input_usd_per_mtok=3), ModelSpec("small", input_usd_per_mtok=0.1))
    registry.create(NewProvider("good", "openai", models=models), SecretStr(KEY))
    registry.create(NewProvider("bad", "anthropic", models=models), SecretStr(KEY + "-bad"))
    builder = FakeBuilder(outcomes={"bad": f"401 Unauthorized: key {KEY}-bad is invalid"})
    catalog = _catalog(registry, builder)

    first = probe_providers(catalog, registry.repository).as_dict()
    second = probe_providers(catalog, registry.repository).as_dict()

    assert [c.probed for c in builder.built] == [["small", "small"], ["small", "small"]]
    assert (second["probed"], second["ok"], second["failing"]) == (2, 1, ["bad"])
    bad = second["providers"]["bad"]  # type: ignore[index]
    assert (
        bad["consecutive_failures"] == 2
        and bad["error"] == f"401 Unauthorized: key {REDACTED} is invalid"
    )
    health = catalog.health()
    assert health["good"].ok and health["good"].consecutive_failures == 0
    assert KEY not in repr(first) + repr(second) + repr(health)


def test_a_client_that_cannot_be_built_is_recorded_failing(
    registry: ProviderRegistry, tmp_path: Path
) -> None:
    registry.create(NewProvider("gateway", "openai"), SecretStr(KEY))
    (tmp_path / "master.key").unlink()
    other_box = AesGcmSecretBox(LocalKeyring(path=tmp_path / "master.key"))  # a new master key
    lost = ProviderRegistry(registry.repository, lambda: other_box)
    report = probe_providers(_catalog(lost, FakeBuilder()), registry.repository)

    (health,) = report.checked
    assert not health.ok and health.error is not None
    assert health.error.startswith("SecretBoxError: the master key local:")
