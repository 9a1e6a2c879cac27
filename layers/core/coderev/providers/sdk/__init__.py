"""`ModelProvider` adapters on the official SDKs, and `build_provider`, which picks one by kind.

| kind        | SDK             | API                                                         |
|-------------|-----------------|-------------------------------------------------------------|
| `openai`    | openai          | Chat Completions (default) or Responses (`api`)             |
| `anthropic` | anthropic       | Messages; input tokens from `count_tokens`                  |
| `hf`        | huggingface_hub | InferenceClient.chat_completion (an endpoint, or the router)|

Every adapter raises only `coderev.domain.errors.ProviderError` types (see `errors`), sets the
SDK's retries explicitly (`max_retries`, default 0: the router owns retries and fallback),
never lets the SDK sleep on a server's Retry-After (see `http_client`), and times each call
out after `CompletionRequest.timeout_s`. No key appears in a message or a repr.

Importing this package imports no SDK; `build_provider` imports the one it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coderev.domain.errors import ConfigError, ProviderAuthError

if TYPE_CHECKING:
    from coderev.config import Settings
    from coderev.ports import ModelProvider

__all__ = ["KINDS", "build_provider"]

KINDS = ("openai", "anthropic", "hf")


def build_provider(
    kind: str,
    *,
    name: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout_s: float = 60.0,
    max_retries: int = 0,
    api: str | None = None,
    settings: Settings | None = None,
) -> ModelProvider:
    """The provider of `kind` ("openai" | "anthropic" | "hf"), named `name` (default: kind).

    Each argument left None comes from the environment (through coderev.config, so the local
    platform's per-function variables apply): OPENAI_API_KEY / OPENAI_BASE_URL,
    ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL, HUGGINGFACE_API_KEY / CODEREV_HF_ENDPOINT_URL
    (`base_url` is the endpoint's URL for hf; unset, the Hugging Face router), and for openai
    `api` from CODEREV_OPENAI_API ("chat" or "responses", default chat).

    Raises ProviderAuthError when openai or anthropic has no key (a Hugging Face endpoint may
    need none), ConfigError for an unknown kind, api or a negative max_retries.
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown provider kind {kind!r}; choose one of {', '.join(KINDS)}")
    if max_retries < 0:
        raise ConfigError(f"max_retries must be 0 or more, not {max_retries}")
    if timeout_s <= 0:
        raise ConfigError(f"timeout_s must be positive, not {timeout_s}")
    if settings is None:
        from coderev.config import get_settings

        settings = get_settings()
    label = name or kind
    if kind == "openai":
        from coderev.providers.sdk.openai_api import APIS, OpenAIProvider

        chosen = api or settings.openai_api
        if chosen not in APIS:
            raise ConfigError(f"openai api {chosen!r}: choose one of {', '.join(APIS)}")
        return OpenAIProvider(
            api_key=_required(api_key, settings.openai_api_key, label, "OPENAI_API_KEY"),
            name=label,
            base_url=base_url or settings.openai_base_url,
            timeout_s=timeout_s,
            max_retries=max_retries,
            api=chosen,
        )
    if kind == "anthropic":
        from coderev.providers.sdk.anthropic_api import AnthropicProvider

        return AnthropicProvider(
            api_key=_required(api_key, settings.anthropic_api_key, label, "ANTHROPIC_API_KEY"),
            name=label,
            base_url=base_url or settings.anthropic_base_url,
            timeout_s=timeout_s,
            max_retries=max_retries,
        )
    from coderev.providers.sdk.hf_api import HuggingFaceProvider

    configured = settings.huggingface_api_key
    return HuggingFaceProvider(
        api_key=api_key or (configured.get_secret_value() if configured else None),
        name=label,
        endpoint_url=base_url or settings.hf_endpoint_url,
        timeout_s=timeout_s,
    )


def _required(given: str | None, configured: object, name: str, variable: str) -> str:
    if given:
        return given
    from pydantic import SecretStr

    if isinstance(configured, SecretStr) and configured.get_secret_value():
        return configured.get_secret_value()
    raise ProviderAuthError(f"{name}: no API key (set {variable} or register one)", provider=name)
