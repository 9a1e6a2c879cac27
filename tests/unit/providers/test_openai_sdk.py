"""The openai SDK, for real, against a local server (pytest-httpserver): Chat Completions and
Responses, plain and streamed, and each failure mapped to its ProviderError type."""

from __future__ import annotations

import json
import traceback

import pytest
from pytest_httpserver import HTTPServer
from tests.unit.providers.conftest import KEY, ask, sse, streaming

from coderev.domain.errors import (
    ProviderAuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderRequestError,
    ProviderTimeout,
    ProviderUnavailable,
)
from coderev.providers.sdk import build_provider

REPLY = '{"comments": []}'


def chat_reply(text: str = REPLY) -> dict[str, object]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m-1",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 31, "completion_tokens": 5, "total_tokens": 36},
    }  # fmt: skip


def chunk(content: str | None = None, finish: str | None = None, usage: bool = False) -> dict:
    choices = [] if usage else [{"index": 0, "delta": {"content": content} if content else {},
                                 "finish_reason": finish}]  # fmt: skip
    out: dict = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m-1",
                 "choices": choices}  # fmt: skip
    if usage:
        out["usage"] = {"prompt_tokens": 31, "completion_tokens": 5, "total_tokens": 36}
    return out


def provider(server: HTTPServer, *, max_retries: int = 0, api: str = "chat", timeout: float = 5):
    return build_provider(
        "openai", api_key=KEY, base_url=server.url_for("/v1"), max_retries=max_retries,
        api=api, timeout_s=timeout,
    )  # fmt: skip


def test_chat_completion_sends_the_request_and_reads_text_and_usage(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions", method="POST").respond_with_json(
        chat_reply(), headers={"x-request-id": "req_1"}
    )
    done = provider(httpserver).complete(ask())
    assert (done.text, done.input_tokens, done.output_tokens) == (REPLY, 31, 5)
    assert (done.provider, done.model, done.finish_reason, done.request_id) == (
        "openai", "m-1", "stop", "req_1")  # fmt: skip
    request, _ = httpserver.log[0]
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.headers["X-Stainless-Retry-Count"] == "0"
    body = json.loads(request.data)
    assert body["messages"][0] == {"role": "system", "content": "Review the code. Reply in JSON."}
    assert body["response_format"] == {"type": "json_object"}
    assert body["max_completion_tokens"] == 200


def test_chat_completion_streamed_joins_the_pieces_and_takes_the_usage_chunk(
    httpserver: HTTPServer,
):
    frames = sse([chunk('{"comm'), chunk('ents": []}'), chunk(finish="stop"), chunk(usage=True)])
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        streaming([*frames, "data: [DONE]\n\n"])
    )
    done = provider(httpserver).complete(ask(stream=True))
    assert (done.text, done.input_tokens, done.output_tokens, done.finish_reason) == (
        REPLY, 31, 5, "stop")  # fmt: skip
    body = json.loads(httpserver.log[0][0].data)
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_a_stream_without_usage_is_counted_locally(httpserver: HTTPServer):
    frames = sse([chunk(REPLY), chunk(finish="stop")])
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        streaming([*frames, "data: [DONE]\n\n"])
    )
    chosen = provider(httpserver)
    done = chosen.complete(ask("gpt-4o", stream=True))
    request = ask("gpt-4o")
    assert done.input_tokens == chosen.count_tokens("gpt-4o", request.system, request.messages)
    assert done.output_tokens == 5  # {"comments": []} in o200k_base


def test_429_is_rate_limited_with_retry_after_and_the_sdk_does_not_wait_or_retry(
    httpserver: HTTPServer,
):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": "Rate limit reached", "type": "requests"}}, status=429,
        headers={"Retry-After": "37"},
    )  # fmt: skip
    with pytest.raises(ProviderRateLimited) as caught:
        provider(httpserver, max_retries=3).complete(ask())
    assert caught.value.retry_after == 37.0 and caught.value.status == 429
    assert len(httpserver.log) == 1  # no SDK retry, so no 37 s sleep either
    assert "Rate limit reached" in str(caught.value)


def test_500_is_retried_by_the_sdk_as_configured_then_unavailable(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": "boom", "type": "server_error"}}, status=500
    )
    with pytest.raises(ProviderUnavailable) as caught:
        provider(httpserver, max_retries=1).complete(ask())
    assert caught.value.status == 500
    counts = [request.headers["X-Stainless-Retry-Count"] for request, _ in httpserver.log]
    assert counts == ["0", "1"]


def test_retries_are_off_by_default(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_data("", status=503)
    with pytest.raises(ProviderUnavailable):
        provider(httpserver).complete(ask())
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, ProviderRequestError), (401, ProviderAuthError), (403, ProviderAuthError),
     (404, ProviderRequestError), (408, ProviderTimeout), (422, ProviderRequestError),
     (502, ProviderUnavailable), (529, ProviderUnavailable)],
)  # fmt: skip
def test_status_codes_map_to_types(httpserver: HTTPServer, status: int, error: type):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": f"status {status}"}}, status=status
    )
    with pytest.raises(error) as caught:
        provider(httpserver).complete(ask())
    assert type(caught.value) is error and caught.value.provider == "openai"


def test_the_key_never_shows_even_when_the_server_echoes_it(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_json(
        {"error": {"message": f"Incorrect API key provided: {KEY}", "code": "invalid_api_key"}},
        status=401,
    )
    chosen = provider(httpserver)
    with pytest.raises(ProviderAuthError) as caught:
        chosen.complete(ask())
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert KEY not in shown and KEY[:12] not in shown
    assert "Incorrect API key provided: [key]" in str(caught.value)
    assert KEY not in repr(chosen) and KEY not in str(chosen)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_malformed_json_is_invalid_output(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_data(
        '{"id": "x", "choices": [', content_type="application/json"
    )
    with pytest.raises(ProviderInvalidOutput):
        provider(httpserver).complete(ask())


def test_a_malformed_stream_event_is_invalid_output(httpserver: HTTPServer):
    frames = [*sse([chunk("{")]), "data: {not json\n\n"]
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(streaming(frames))
    with pytest.raises(ProviderInvalidOutput):
        provider(httpserver).complete(ask(stream=True))


def test_a_dropped_stream_is_a_connection_error(httpserver: HTTPServer):
    frames = sse([chunk('{"a'), chunk('": 1'), chunk("}", finish="stop")])
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        streaming(frames, cut_after=2)
    )
    with pytest.raises(ProviderConnectionError):
        provider(httpserver).complete(ask(stream=True))


def test_a_stream_that_ends_without_finishing_is_a_connection_error(httpserver: HTTPServer):
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        streaming(sse([chunk('{"a": ')]))
    )
    with pytest.raises(ProviderConnectionError, match="before the reply was complete"):
        provider(httpserver).complete(ask(stream=True))


def test_a_slow_first_token_times_out(httpserver: HTTPServer):
    frames = sse([{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m-1",
                   "choices": [{"index": 0, "delta": {"role": "assistant"}}]},
                  chunk(REPLY, finish="stop")])  # fmt: skip
    httpserver.expect_request("/v1/chat/completions").respond_with_handler(
        streaming(frames, stall_before=1, stall_s=1.0)
    )
    with pytest.raises(ProviderTimeout):
        provider(httpserver).complete(ask(stream=True, timeout_s=0.3))


def test_an_unreachable_server_is_a_connection_error():
    chosen = build_provider("openai", api_key=KEY, base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ProviderConnectionError) as caught:
        chosen.complete(ask())
    assert KEY not in str(caught.value)
    assert isinstance(caught.value, ProviderError) and caught.value.retryable


# --- Responses API ---------------------------------------------------------------------------


def response_object(status: str = "completed") -> dict[str, object]:
    return {
        "id": "resp_1", "object": "response", "created_at": 1, "model": "m-1",
        "status": status, "output": [{
            "type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": REPLY, "annotations": []}]}],
        "usage": {"input_tokens": 40, "output_tokens": 6, "total_tokens": 46,
                  "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens_details": {"reasoning_tokens": 0}},
        "error": None, "incomplete_details": None,
    }  # fmt: skip


def test_responses_api_plain(httpserver: HTTPServer):
    httpserver.expect_request("/v1/responses", method="POST").respond_with_json(response_object())
    done = provider(httpserver, api="responses").complete(ask())
    assert (done.text, done.input_tokens, done.output_tokens, done.finish_reason) == (
        REPLY, 40, 6, "completed")  # fmt: skip
    body = json.loads(httpserver.log[0][0].data)
    assert body["instructions"] == "Review the code. Reply in JSON."
    assert body["input"] == [{"role": "user", "content": "def f(): return 1"}]
    assert body["text"] == {"format": {"type": "json_object"}}
    assert body["max_output_tokens"] == 200 and body["store"] is False


def test_responses_api_streamed(httpserver: HTTPServer):
    events = [
        {"type": "response.created", "sequence_number": 0,
         "response": response_object("in_progress")},
        {"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": '{"comments"', "logprobs": []},
        {"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1",
         "output_index": 0, "content_index": 0, "delta": ": []}", "logprobs": []},
        {"type": "response.completed", "sequence_number": 3, "response": response_object()},
    ]  # fmt: skip
    httpserver.expect_request("/v1/responses").respond_with_handler(
        streaming(sse(events, named=True))
    )
    done = provider(httpserver, api="responses").complete(ask(stream=True))
    assert (done.text, done.input_tokens, done.output_tokens) == (REPLY, 40, 6)


def test_responses_stream_error_event_and_cut_stream(httpserver: HTTPServer):
    error = {"type": "error", "sequence_number": 1, "code": "server_error",
             "message": "The server had an error", "param": None}  # fmt: skip
    created = {"type": "response.created", "sequence_number": 0,
               "response": response_object("in_progress")}  # fmt: skip
    httpserver.expect_ordered_request("/v1/responses").respond_with_handler(
        streaming(sse([created, error], named=True))
    )
    httpserver.expect_ordered_request("/v1/responses").respond_with_handler(
        streaming(sse([created], named=True))
    )
    chosen = provider(httpserver, api="responses")
    with pytest.raises(ProviderUnavailable, match="The server had an error"):
        chosen.complete(ask(stream=True))
    with pytest.raises(ProviderConnectionError, match=r"before response\.completed"):
        chosen.complete(ask(stream=True))


def test_count_tokens_is_exact_for_openai_encodings():
    import quicktok

    from coderev.ports import ChatMessage

    chosen = build_provider("openai", api_key=KEY, base_url="http://127.0.0.1:9/v1")
    system, messages = "Review.", (ChatMessage("user", "日本語のコードレビューです。"),)
    for model, encoding in (("gpt-4o", "o200k_base"), ("gpt-4", "cl100k_base"),
                            ("gpt-5.1-codex", "o200k_base")):  # fmt: skip
        tokens = quicktok.get_encoding(encoding)
        content = tokens.count(system) + tokens.count(messages[0].content)
        assert chosen.count_tokens(model, system, messages) == content + 3 * 2 + 3


def test_probe_lists_models_and_never_raises(httpserver: HTTPServer):
    httpserver.expect_ordered_request("/v1/models").respond_with_json(
        {"object": "list", "data": []}
    )
    httpserver.expect_ordered_request("/v1/models").respond_with_json({}, status=401)
    chosen = provider(httpserver)
    assert chosen.probe("m-1").ok
    failed = chosen.probe("m-1")
    assert not failed.ok and failed.error is not None and failed.error.startswith(
        "ProviderAuthError")  # fmt: skip
    assert KEY not in failed.error
