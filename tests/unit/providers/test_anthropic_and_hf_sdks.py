"""The anthropic and huggingface_hub SDKs against pytest-httpserver: what the wire server does
not script (an error body echoing the key, a gateway without count_tokens, the error types
inside a stream, TGI's validation error)."""

from __future__ import annotations

import json
import traceback

import pytest
from pytest_httpserver import HTTPServer
from tests.unit.providers.conftest import KEY, ask, sse, streaming

from coderev.domain.errors import (
    ProviderAuthError,
    ProviderRateLimited,
    ProviderRequestError,
    ProviderUnavailable,
)
from coderev.providers.sdk import build_provider
from coderev.providers.sdk.tokens import estimate_chat


def anthropic(server: HTTPServer):
    return build_provider("anthropic", api_key=KEY, base_url=server.url_for(""))


def test_anthropic_auth_error_echoing_the_key_is_masked(httpserver: HTTPServer):
    httpserver.expect_request("/v1/messages").respond_with_json(
        {"type": "error", "error": {"type": "authentication_error",
                                    "message": f"invalid x-api-key {KEY}"}}, status=401,
    )  # fmt: skip
    with pytest.raises(ProviderAuthError) as caught:
        anthropic(httpserver).complete(ask())
    shown = "".join(traceback.format_exception(caught.value))
    assert KEY not in shown and "invalid x-api-key [key]" in shown
    assert not caught.value.retryable


def test_anthropic_count_tokens_falls_back_to_the_estimate_on_a_gateway_without_it(
    httpserver: HTTPServer,
):
    httpserver.expect_request("/v1/messages/count_tokens").respond_with_json(
        {"type": "error", "error": {"type": "not_found_error", "message": "no route"}}, status=404
    )
    request = ask("claude-x")
    counted = anthropic(httpserver).count_tokens(request.model, request.system, request.messages)
    assert counted == estimate_chat(request.model, request.system, request.messages) > 0


def test_anthropic_count_tokens_raises_what_is_not_a_missing_endpoint(httpserver: HTTPServer):
    httpserver.expect_request("/v1/messages/count_tokens").respond_with_json(
        {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}, status=529
    )
    request = ask()
    with pytest.raises(ProviderUnavailable):
        anthropic(httpserver).count_tokens(request.model, request.system, request.messages)


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [("rate_limit_error", ProviderRateLimited), ("overloaded_error", ProviderUnavailable),
     ("invalid_request_error", ProviderRequestError)],
)  # fmt: skip
def test_anthropic_errors_inside_a_stream_map_by_their_type(
    httpserver: HTTPServer, error_type: str, expected: type
):
    start = {"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m-1", "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 9, "output_tokens": 1}}}  # fmt: skip
    error = {"type": "error", "error": {"type": error_type, "message": "mid-stream"}}
    httpserver.expect_request("/v1/messages").respond_with_handler(
        streaming(sse([start, error], named=True))
    )
    with pytest.raises(expected) as caught:
        anthropic(httpserver).complete(ask(stream=True))
    assert type(caught.value) is expected and caught.value.status is None


def test_hf_sends_an_openai_shaped_request_without_a_zero_temperature(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_json({
        "id": "1", "object": "chat.completion", "created": 1, "model": "tgi",
        "system_fingerprint": "3", "choices": [{"index": 0, "finish_reason": "stop",
        "message": {"role": "assistant", "content": "{}"}, "logprobs": None}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13}})  # fmt: skip
    provider = build_provider("hf", api_key=KEY, base_url=httpserver.url_for(""))
    done = provider.complete(ask("meta-llama/Llama-3.1-8B-Instruct"))
    assert (done.text, done.input_tokens, done.output_tokens) == ("{}", 12, 1)
    request, _ = httpserver.log[0]
    body = json.loads(request.data)
    assert "temperature" not in body and body["response_format"] == {"type": "json_object"}
    assert body["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_hf_tgi_validation_error_is_a_request_error(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": "Input validation error: inputs tokens + max_new_tokens must be <= 8192",
         "error_type": "validation"}, status=422,
    )  # fmt: skip
    provider = build_provider("hf", api_key=KEY, base_url=httpserver.url_for(""))
    with pytest.raises(ProviderRequestError, match="422"):
        provider.complete(ask())


def test_hf_counts_llama_exactly_and_other_models_by_estimate():
    import quicktok

    request = ask()
    llama = quicktok.get_encoding("llama3")
    exact = llama.count(request.system) + llama.count(request.messages[0].content) + 3 * 2 + 3
    assert estimate_chat("meta-llama/Llama-3.1-8B", request.system, request.messages) == exact
    size = len(request.system.encode()) + len(request.messages[0].content.encode())
    assert estimate_chat("mistralai/Mistral-7B", request.system, request.messages) == (
        -(-size // 3) + 4 * 2)  # fmt: skip


def test_build_provider_reads_the_environment(monkeypatch, no_provider_env, httpserver):
    from coderev.config import get_settings
    from coderev.domain.errors import ConfigError

    with pytest.raises(ProviderAuthError, match="OPENAI_API_KEY"):
        build_provider("openai")
    with pytest.raises(ConfigError):
        build_provider("mistral")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", httpserver.url_for("/v1"))
    monkeypatch.setenv("CODEREV_OPENAI_API", "responses")
    get_settings.cache_clear()
    provider = build_provider("openai", name="corp-gateway")
    assert (provider.name, provider.api, provider.base_url) == (  # type: ignore[attr-defined]
        "corp-gateway", "responses", httpserver.url_for("/v1"))  # fmt: skip
    assert KEY not in repr(provider)
