"""Request and response models of the providers API (its OpenAPI document comes from them).

API keys are write-only: `api_key` is a `SecretStr` in the two requests that take one
(OpenAPI: `format: password`, `writeOnly: true`), and no response model has a field that
could hold it: a provider's view says whether it has a key, its version, the master key that
wraps it and when it was rotated. Every model is `defer_build=True` (see coderev.http.models).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from coderev.http.models import ErrorView
from coderev.providers.model import MAX_MODEL_NAME, MAX_URL, NAME_PATTERN, ModelSpec

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.ports import ProviderHealth
    from coderev.providers.catalog import CatalogEntry
    from coderev.providers.model import ProviderRecord

__all__ = [
    "CREATE_RESPONSES",
    "LIST_RESPONSES",
    "PROVIDER_RESPONSES",
    "KeyRotation",
    "ModelIn",
    "ProviderCreate",
    "ProviderList",
    "ProviderUpdate",
    "ProviderView",
]

_REQUEST = ConfigDict(extra="forbid", defer_build=True, hide_input_in_errors=True)
_VIEW = ConfigDict(frozen=True, defer_build=True)
Kind = Literal["openai", "anthropic", "hf"]
Tier = Literal["economy", "standard", "premium"]
_URL = r"^https?://[^\s/?#]+\S*$"
_API_KEY = "the provider's API key: write-only, sealed at once, never returned or logged"


class ModelIn(BaseModel):
    """One model of a provider, with what routing needs to choose and price it."""

    model_config = _REQUEST

    model: str = Field(min_length=1, max_length=MAX_MODEL_NAME, pattern=r"^\S(.*\S)?$")
    tier: Tier = "standard"
    context_window: int = Field(default=128_000, ge=1, le=100_000_000)
    max_output_tokens: int = Field(default=4096, ge=1, le=10_000_000)
    input_usd_per_mtok: float = Field(default=0.0, ge=0, le=1_000_000, allow_inf_nan=False)
    output_usd_per_mtok: float = Field(default=0.0, ge=0, le=1_000_000, allow_inf_nan=False)
    enabled: bool = True

    def spec(self) -> ModelSpec:
        return ModelSpec(**self.model_dump())


class ProviderCreate(BaseModel):
    """A provider to register; `models` omitted: the default list of its kind."""

    model_config = _REQUEST

    name: str = Field(pattern=NAME_PATTERN, description="unique; lower case, digits, . _ -")
    kind: Kind = Field(description="which SDK speaks to it")
    base_url: str | None = Field(default=None, max_length=MAX_URL, pattern=_URL,
                                 description="an OpenAI-, Anthropic- or HF-compatible endpoint; "
                                 "null: the SDK's default")  # fmt: skip
    api_key: SecretStr | None = Field(default=None, min_length=1, max_length=4096,
                                      description=_API_KEY)  # fmt: skip
    enabled: bool = True
    timeout_s: float = Field(default=60.0, gt=0, le=900, allow_inf_nan=False)
    models: list[ModelIn] | None = Field(default=None, min_length=1, max_length=200)


class ProviderUpdate(BaseModel):
    """What to change; absent fields stay. `models` replaces the whole list; `base_url`
    null goes back to the SDK's default. The key changes only through PUT .../key."""

    model_config = _REQUEST

    base_url: str | None = Field(default=None, max_length=MAX_URL, pattern=_URL)
    enabled: bool | None = None
    timeout_s: float | None = Field(default=None, gt=0, le=900, allow_inf_nan=False)
    models: list[ModelIn] | None = Field(default=None, min_length=1, max_length=200)


class KeyRotation(BaseModel):
    """The provider's new API key; the old one is replaced (its version + 1)."""

    model_config = _REQUEST

    api_key: SecretStr = Field(min_length=1, max_length=4096, description=_API_KEY)


class ModelView(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True, from_attributes=True)

    model: str
    tier: str
    context_window: int
    max_output_tokens: int
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    enabled: bool


class KeyView(BaseModel):
    """About the provider's key — never the key."""

    model_config = _VIEW

    set: bool
    version: int = Field(description="1 for the first key, +1 on each rotation; 0: none")
    wrapped_by: str | None = Field(default=None, description="the master key that seals it")
    rotated_at: datetime | None = None


class HealthView(BaseModel):
    model_config = _VIEW

    ok: bool
    checked_at: datetime
    latency_ms: float | None = None
    error: str | None = None
    consecutive_failures: int = 0


class ProviderView(BaseModel):
    """A provider as the API shows it. `source`: registered, or implied by the SDKs'
    environment variables while the registry is empty (read-only then)."""

    model_config = _VIEW

    name: str
    kind: str
    source: Literal["registry", "environment"]
    base_url: str | None = None
    enabled: bool
    timeout_s: float
    models: list[ModelView]
    key: KeyView
    health: HealthView | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, record: ProviderRecord, health: ProviderHealth | None) -> ProviderView:
        return cls(
            name=record.name, kind=record.kind, source="registry", base_url=record.base_url,
            enabled=record.enabled, timeout_s=record.timeout_s,
            models=[ModelView.model_validate(m) for m in record.models],
            key=KeyView(set=record.has_key, version=record.key_version,
                        wrapped_by=record.key_id, rotated_at=record.key_updated_at),
            health=_health(health), created_at=record.created_at, updated_at=record.updated_at,
        )  # fmt: skip

    @classmethod
    def implied(cls, entry: CatalogEntry, health: ProviderHealth | None) -> ProviderView:
        return cls(
            name=entry.name, kind=entry.kind, source="environment", base_url=entry.base_url,
            enabled=True, timeout_s=entry.timeout_s,
            models=[ModelView.model_validate(m) for m in entry.models],
            key=KeyView(set=entry.env_key is not None, version=0),
            health=_health(health),
        )  # fmt: skip


class ProviderList(BaseModel):
    model_config = _VIEW

    providers: list[ProviderView]


def _health(health: ProviderHealth | None) -> HealthView | None:
    if health is None:
        return None
    return HealthView(ok=health.ok, checked_at=health.checked_at, latency_ms=health.latency_ms,
                      error=health.error,
                      consecutive_failures=health.consecutive_failures)  # fmt: skip


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


def _view(description: str) -> OpenAPIResponse:
    return {"description": description,
            "content": {"application/json": {"model": ProviderView}}}  # fmt: skip


_ERRORS: dict[int, OpenAPIResponse] = {
    404: _error("no such provider (or no such route)"),
    422: _error(
        "the body or a parameter is invalid: the message names the field and the rule "
        "it broke, never the value"
    ),
    500: _error("the server failed on this request (logged with the request id)"),
    503: _error("the registry's database or the key service (KMS, master key) is unavailable"),
}

LIST_RESPONSES: dict[int, OpenAPIResponse] = {
    200: {
        "description": "every provider, registered or implied by the environment",
        "content": {"application/json": {"model": ProviderList}},
    },
    **_ERRORS,
}

CREATE_RESPONSES: dict[int, OpenAPIResponse] = {
    201: {
        **_view("registered"),
        "headers": {
            "Location": {"description": "the provider's URL", "schema": {"type": "string"}}
        },
    },
    409: _error("a provider of that name is already registered"),
    **_ERRORS,
}

PROVIDER_RESPONSES: dict[int, OpenAPIResponse] = {
    200: _view("the provider as it is now"),
    409: _error("the key was rotated by another request meanwhile: try again"),
    **_ERRORS,
}
