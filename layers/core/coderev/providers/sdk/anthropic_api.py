"""`ModelProvider` on the anthropic SDK: the Messages API, plain or streamed, and input tokens
from the `count_tokens` endpoint.

The SDK sends the key as `Authorization: Bearer` (this SDK generation; earlier ones used
`X-Api-Key`), whatever ANTHROPIC_BASE_URL points at. `temperature` is not sent: this SDK's
Messages API no longer takes it (the model's default sampling applies). `json_reply` is not
sent either: the Messages API constrains output only to a JSON schema (structured outputs),
which a CompletionRequest does not carry; the prompt asks for JSON and the caller validates it.
A stream ends with `message_stop`; one that stops before it was cut (ProviderConnectionError),
and an `error` event inside it (overloaded_error, rate_limit_error, api_error) maps by its type.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from coderev.domain.errors import ProviderConnectionError, ProviderRequestError
from coderev.ports import ChatMessage, Completion, CompletionRequest, ProbeResult
from coderev.providers.sdk.errors import from_exception
from coderev.providers.sdk.http_client import sdk_http_client
from coderev.providers.sdk.timing import elapsed_ms, within_deadline
from coderev.providers.sdk.tokens import estimate_chat

if TYPE_CHECKING:
    from anthropic import Anthropic
    from anthropic.types import MessageParam

__all__ = ["AnthropicProvider"]


class AnthropicProvider:
    """A Claude model behind the Anthropic API (or a gateway speaking it)."""

    kind = "anthropic"

    def __init__(
        self,
        *,
        api_key: str,
        name: str = "anthropic",
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 0,
    ) -> None:
        import anthropic

        self.name = name
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._key = api_key
        self._client: Anthropic = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=sdk_http_client(anthropic.DefaultHttpxClient, timeout_s),
        )

    def __repr__(self) -> str:
        return (
            f"AnthropicProvider(name={self.name!r}, base_url={self.base_url!r}, "
            f"timeout_s={self.timeout_s}, max_retries={self.max_retries})"
        )

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        options: dict[str, Any] = {
            "model": request.model,
            "messages": _messages(request.messages),
            "max_tokens": request.max_output_tokens,
            "timeout": request.timeout_s,
        }
        if request.system:
            options["system"] = request.system
        try:
            if request.stream:
                return self._streamed(request, options, started)
            reply = self._client.messages.create(**options)
            text = "".join(block.text for block in reply.content if block.type == "text")
            return Completion(
                provider=self.name,
                model=reply.model or request.model,
                text=text,
                input_tokens=reply.usage.input_tokens,
                output_tokens=reply.usage.output_tokens,
                latency_ms=elapsed_ms(started),
                finish_reason=reply.stop_reason,
                request_id=reply._request_id,
            )
        except Exception as exc:
            raise from_exception(exc, provider=self.name, secrets=(self._key,)) from None

    def _streamed(
        self, request: CompletionRequest, options: dict[str, Any], started: float
    ) -> Completion:
        parts: list[str] = []
        model = request.model
        input_tokens = output_tokens = 0
        finish: str | None = None
        stream = self._client.messages.create(**options, stream=True)
        with stream:
            request_id = stream.response.headers.get("request-id")
            for event in stream:
                within_deadline(started, request, self.name)
                if event.type == "message_start":
                    model = event.message.model or model
                    input_tokens = event.message.usage.input_tokens
                    output_tokens = event.message.usage.output_tokens
                elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                    parts.append(event.delta.text)
                elif event.type == "message_delta":
                    output_tokens = event.usage.output_tokens
                    if event.usage.input_tokens is not None:
                        input_tokens = event.usage.input_tokens
                    finish = event.delta.stop_reason or finish
                elif event.type == "message_stop":
                    return Completion(
                        provider=self.name,
                        model=model,
                        text="".join(parts),
                        input_tokens=input_tokens,
                        output_tokens=output_tokens,
                        latency_ms=elapsed_ms(started),
                        finish_reason=finish,
                        request_id=request_id,
                    )
        raise ProviderConnectionError(
            f"{self.name}: the stream ended before message_stop ({len(parts)} pieces)",
            provider=self.name,
        )

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        """The count_tokens endpoint; where a gateway lacks it (404, 405, 400), the estimate
        of `tokens.estimate_chat`."""
        options: dict[str, Any] = {"model": model, "messages": _messages(messages)}
        if system:
            options["system"] = system
        try:
            return self._client.messages.count_tokens(**options).input_tokens
        except Exception as exc:
            error = from_exception(exc, provider=self.name, secrets=(self._key,))
            if isinstance(error, ProviderRequestError) and error.status in (400, 404, 405):
                return estimate_chat(model, system, messages)
            raise error from None

    def probe(self, model: str) -> ProbeResult:
        """Lists the models (GET /v1/models: free)."""
        started = time.perf_counter()
        try:
            self._client.models.list(limit=1, timeout=min(self.timeout_s, 10.0))
        except Exception as exc:
            error = from_exception(exc, provider=self.name, secrets=(self._key,))
            return ProbeResult(False, elapsed_ms(started), f"{type(error).__name__}: {error}")
        return ProbeResult(True, elapsed_ms(started))


def _messages(messages: tuple[ChatMessage, ...]) -> list[MessageParam]:
    typed: list[MessageParam] = []
    for m in messages:
        if m.role == "assistant":
            typed.append({"role": "assistant", "content": m.content})
        else:
            typed.append({"role": "user", "content": m.content})
    return typed
