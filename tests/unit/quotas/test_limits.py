"""Quota limits are data: TOML (a file, CODEREV_QUOTAS_FILE, and inline, CODEREV_QUOTAS)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.config import get_settings
from coderev.domain.errors import ConfigError
from coderev.ports import QuotaLimit
from coderev.quotas import QuotaLimits, limits_for
from coderev.quotas.limits import load_limits

CONFIG = """
[tenants."*"]
requests = { minute = 60, day = 1000 }
[tenants.acme]
requests = { minute = 600 }
cost_micro_usd = { month = 50_000_000 }
[tenants.acme.providers.openai]
tokens = { day = 2_000_000 }
[tenants."*".providers.openai]
requests = { minute = 5 }
[providers.openai]
tokens = { minute = 800_000 }
[providers."*"]
requests = { day = 100_000 }
"""


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name in ("CODEREV_QUOTAS", "CODEREV_QUOTAS_FILE"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    load_limits.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    load_limits.cache_clear()


def test_a_tenant_s_own_windows_override_the_default_window_by_window() -> None:
    limits = QuotaLimits.from_toml(CONFIG).limits_for("acme", "openai")
    assert limits == (
        QuotaLimit("tenant:acme", "requests", "minute", 600),
        QuotaLimit("tenant:acme", "requests", "day", 1000),
        QuotaLimit("tenant:acme", "cost_micro_usd", "month", 50_000_000),
        QuotaLimit("provider:openai", "requests", "day", 100_000),
        QuotaLimit("provider:openai", "tokens", "minute", 800_000),
        QuotaLimit("tenant:acme/provider:openai", "requests", "minute", 5),
        QuotaLimit("tenant:acme/provider:openai", "tokens", "day", 2_000_000),
    )


def test_every_tenant_gets_the_default_budget_of_its_own() -> None:
    limits = QuotaLimits.from_toml(CONFIG).limits_for("globex", "anthropic")
    assert limits == (
        QuotaLimit("tenant:globex", "requests", "minute", 60),
        QuotaLimit("tenant:globex", "requests", "day", 1000),
        QuotaLimit("provider:anthropic", "requests", "day", 100_000),
    )


def test_nothing_configured_means_no_limits(settings_env: pytest.MonkeyPatch) -> None:
    assert limits_for("default", "openai") == ()


def test_the_file_and_the_inline_setting_merge(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    file = tmp_path / "quotas.toml"
    file.write_text(CONFIG, encoding="utf-8")
    settings_env.setenv("CODEREV_QUOTAS_FILE", str(file))
    settings_env.setenv("CODEREV_QUOTAS", '[tenants."*"]\nrequests = { minute = 7 }\n')
    limits = limits_for("globex", "anthropic")
    assert QuotaLimit("tenant:globex", "requests", "minute", 7) in limits
    assert QuotaLimit("tenant:globex", "requests", "day", 1000) in limits  # from the file


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[tenants.a]\nrequest = { minute = 1 }", "unknown metric 'request'"),
        ("[tenants.a]\nrequests = { hour = 1 }", "unknown window 'hour'"),
        ("[tenants.a]\nrequests = { minute = -1 }", "tenants.a.requests.minute: expected a whole"),
        ("[tenants.a]\nrequests = { minute = 1.5 }", "expected a whole number"),
        ("[tenants.a]\nrequests = 5", "expected a table of windows"),
        ('[tenants."a b"]\nrequests = { minute = 1 }', "invalid name 'a b'"),
        ("[tenant.a]\nrequests = { minute = 1 }", "unknown section"),
        ("[tenants.a\n", "not valid TOML"),
    ],
)
def test_a_wrong_configuration_says_where(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        QuotaLimits.from_toml(text)


def test_a_missing_file_is_a_configuration_error(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings_env.setenv("CODEREV_QUOTAS_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="cannot read CODEREV_QUOTAS_FILE"):
        limits_for("a", "b")
