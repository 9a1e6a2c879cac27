"""Every SDK, for real, against coderev's own wire server (coderev.providers.wire): each API
plain and streamed, each scripted fault mapped to its ProviderError type, SDK retries counted
with X-Stainless-Retry-Count, and keys sent the way each SDK sends them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.unit.providers.conftest import KEY, ask

from coderev.domain.errors import (
    ProviderConnectionError,
    ProviderInvalidOutput,
    ProviderRateLimited,
    ProviderTimeout,
    ProviderUnavailable,
)
from coderev.ports import ModelProvider
from coderev.providers.sdk import build_provider
from coderev.providers.wire import Fault, Reply, Script, WireServer
from coderev.providers.wire.formats import count

REPLY = '{"comments": [{"file": "a.py", "line": 1, "message": "a long enough reply"}]}'
APIS = ["openai-chat", "openai-responses", "anthropic", "hf"]


@pytest.fixture(scope="module")
def server() -> Iterator[WireServer]:
    with WireServer() as running:
        yield running


@pytest.fixture
def script(server: WireServer) -> Script:
    server.app.script = Script()
    server.app.seen.clear()
    return server.app.script


def connect(server: WireServer, api: str, *, max_retries: int = 0) -> ModelProvider:
    if api == "anthropic":
        return build_provider("anthropic", api_key=KEY, base_url=server.url,
                              max_retries=max_retries)  # fmt: skip
    if api == "hf":
        return build_provider("hf", api_key=KEY, base_url=f"{server.url}/hf")
    return build_provider("openai", api_key=KEY, base_url=f"{server.url}/v1",
                          api=api.removeprefix("openai-"), max_retries=max_retries)  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("api", APIS)
def test_a_reply_and_its_usage(server: WireServer, script: Script, api: str, stream: bool):
    script.add(Reply(REPLY))
    provider = connect(server, api)
    request = ask("m-1", stream=stream)
    done = provider.complete(request)
    assert done.text == REPLY
    sent = f"{request.system}\n{request.messages[0].content}"
    assert (done.input_tokens, done.output_tokens) == (count(sent), count(REPLY))
    assert done.finish_reason in ("stop", "end_turn", "completed")
    assert [seen.api for seen in server.app.seen] == [api]
    assert server.app.seen[0].body.get("stream", False) is stream


@pytest.mark.parametrize("api", APIS)
def test_the_key_goes_as_a_bearer_token(server: WireServer, script: Script, api: str):
    connect(server, api).complete(ask())
    headers = server.app.seen[0].headers
    assert headers["Authorization"] == f"Bearer {KEY}"
    if api == "anthropic":  # this SDK generation no longer sends X-Api-Key
        assert "X-Api-Key" not in headers and headers["Anthropic-Version"]


def test_anthropic_count_tokens_agrees_with_the_usage_it_is_billed(
    server: WireServer, script: Script
):
    provider = connect(server, "anthropic")
    request = ask()
    counted = provider.count_tokens(request.model, request.system, request.messages)
    assert counted == provider.complete(request).input_tokens
    assert [s.api for s in server.app.seen] == ["anthropic-count-tokens", "anthropic"]


FAULTS = [
    (Fault("rate_limit", retry_after=3), ProviderRateLimited, (False, True)),
    (Fault("server_error"), ProviderUnavailable, (False, True)),
    (Fault("overloaded"), ProviderUnavailable, (False, True)),
    (Fault("slow_first_token", delay_s=1.0), ProviderTimeout, (False, True)),
    (Fault("disconnect", after=1), ProviderConnectionError, (False, True)),
    (Fault("stream_error", after=1), ProviderUnavailable, (True,)),
    (Fault("malformed_json"), ProviderInvalidOutput, (False, True)),
]


@pytest.mark.parametrize(
    ("fault", "error", "stream"),
    [(f, e, s) for f, e, streams in FAULTS for s in streams],
    ids=[f"{f.kind}-{'streamed' if s else 'plain'}" for f, _, streams in FAULTS for s in streams],
)
@pytest.mark.parametrize("api", APIS)
def test_each_fault_maps_to_its_error_type(
    server: WireServer, script: Script, api: str, fault: Fault, error: type, stream: bool
):
    script.add(fault)
    with pytest.raises(error) as caught:
        timeout = 0.4 if fault.kind == "slow_first_token" else 10.0  # a loaded machine is slow
        connect(server, api).complete(ask(stream=stream, timeout_s=timeout))
    assert type(caught.value) is error
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    if isinstance(caught.value, ProviderRateLimited):
        assert caught.value.retry_after == 3.0
    if fault.kind in ("server_error", "overloaded"):
        assert caught.value.status == (500 if fault.kind == "server_error" else 529)


@pytest.mark.parametrize("api", ["openai-chat", "openai-responses", "anthropic"])
def test_sdk_retries_are_counted_and_bounded(server: WireServer, script: Script, api: str):
    script.add(Fault("server_error"), Fault("overloaded"), Reply(REPLY))
    done = connect(server, api, max_retries=2).complete(ask())
    assert done.text == REPLY
    counts = [s.headers["X-Stainless-Retry-Count"] for s in server.app.seen]
    assert counts == ["0", "1", "2"]


@pytest.mark.parametrize("api", ["openai-chat", "anthropic"])
def test_the_sdk_never_waits_out_a_retry_after(server: WireServer, script: Script, api: str):
    """anthropic would sleep the whole 3600 s, openai give up past 120 s: neither retries."""
    script.add(Fault("rate_limit", retry_after=3600), Reply(REPLY))
    with pytest.raises(ProviderRateLimited) as caught:
        connect(server, api, max_retries=3).complete(ask())
    assert caught.value.retry_after == 3600.0
    assert len(server.app.seen) == 1


@pytest.mark.parametrize("api", APIS)
def test_probe(server: WireServer, script: Script, api: str):
    result = connect(server, api).probe("m-1")
    assert result.ok and result.error is None
    assert [s.api for s in server.app.seen] == ["models"]
