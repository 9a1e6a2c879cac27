"""`ModelProvider` on the openai SDK: Chat Completions (the default: every OpenAI-compatible
gateway and self-hosted server speaks it) or the Responses API (`api="responses"`), each plain
or streamed (`CompletionRequest.stream`).

Streams are read to their end within `CompletionRequest.timeout_s` in all (the HTTP read
timeout catches a slow first token; the deadline, a reply that trickles); a stream that ends
without its closing event (finish_reason, response.completed) was cut: ProviderConnectionError.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from coderev.domain.errors import ProviderConnectionError, ProviderInvalidOutput
from coderev.ports import ChatMessage, Completion, CompletionRequest, ProbeResult
from coderev.providers.sdk.errors import from_exception, from_status, masked
from coderev.providers.sdk.http_client import sdk_http_client
from coderev.providers.sdk.timing import elapsed_ms, within_deadline
from coderev.providers.sdk.tokens import count_chat, openai_encoding

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

__all__ = ["OpenAIProvider"]

APIS = ("chat", "responses")


class OpenAIProvider:
    """A model behind the OpenAI API (or any server speaking it). Raises ProviderError only."""

    kind = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        name: str = "openai",
        base_url: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 0,
        api: str = "chat",
    ) -> None:
        if api not in APIS:
            raise ValueError(f"api {api!r}: choose one of {', '.join(APIS)}")
        import openai

        self.name = name
        self.api = api
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._key = api_key
        self._client: OpenAI = openai.OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=timeout_s,
            max_retries=max_retries,
            http_client=sdk_http_client(openai.DefaultHttpxClient, timeout_s),
        )

    def __repr__(self) -> str:
        return (
            f"OpenAIProvider(name={self.name!r}, api={self.api!r}, base_url={self.base_url!r}, "
            f"timeout_s={self.timeout_s}, max_retries={self.max_retries})"
        )

    # --- ModelProvider ----------------------------------------------------------------------

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        try:
            if self.api == "responses":
                return self._responses(request, started)
            return self._chat(request, started)
        except Exception as exc:  # every failure leaves as a ProviderError
            raise from_exception(exc, provider=self.name, secrets=(self._key,)) from None

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        return count_chat(openai_encoding(model), system, messages)

    def probe(self, model: str) -> ProbeResult:
        """Lists the models (free, and every OpenAI-compatible server has it)."""
        started = time.perf_counter()
        try:
            self._client.models.list(timeout=min(self.timeout_s, 10.0))
        except Exception as exc:
            error = from_exception(exc, provider=self.name, secrets=(self._key,))
            return ProbeResult(False, elapsed_ms(started), f"{type(error).__name__}: {error}")
        return ProbeResult(True, elapsed_ms(started))

    # --- Chat Completions -------------------------------------------------------------------

    def _chat_messages(self, request: CompletionRequest) -> list[ChatCompletionMessageParam]:
        messages: list[ChatCompletionMessageParam] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        for message in request.messages:
            if message.role == "assistant":
                messages.append({"role": "assistant", "content": message.content})
            else:
                messages.append({"role": "user", "content": message.content})
        return messages

    def _chat(self, request: CompletionRequest, started: float) -> Completion:
        options: dict[str, Any] = {
            "model": request.model,
            "messages": self._chat_messages(request),
            "max_completion_tokens": request.max_output_tokens,
            "temperature": request.temperature,
            "timeout": request.timeout_s,
        }
        if request.json_reply:
            options["response_format"] = {"type": "json_object"}
        if request.stream:
            return self._chat_streamed(request, options, started)
        reply = self._client.chat.completions.create(**options)
        if not reply.choices:
            raise ProviderInvalidOutput(f"{self.name}: a reply without choices", provider=self.name)
        choice = reply.choices[0]
        usage = reply.usage
        text = choice.message.content or ""
        return Completion(
            provider=self.name,
            model=reply.model or request.model,
            text=text,
            input_tokens=usage.prompt_tokens if usage else self._input_tokens(request),
            output_tokens=usage.completion_tokens if usage else self._output_tokens(request, text),
            latency_ms=elapsed_ms(started),
            finish_reason=choice.finish_reason,
            request_id=reply._request_id,
        )

    def _chat_streamed(
        self, request: CompletionRequest, options: dict[str, Any], started: float
    ) -> Completion:
        parts: list[str] = []
        finish: str | None = None
        input_tokens = output_tokens = None
        model = request.model
        stream = self._client.chat.completions.create(
            **options, stream=True, stream_options={"include_usage": True}
        )
        with stream:
            request_id = stream.response.headers.get("x-request-id")
            for chunk in stream:
                within_deadline(started, request, self.name)
                model = chunk.model or model
                if chunk.usage is not None:
                    input_tokens = chunk.usage.prompt_tokens
                    output_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.delta.content:
                        parts.append(choice.delta.content)
                    if choice.finish_reason:
                        finish = choice.finish_reason
        if finish is None:
            raise ProviderConnectionError(
                f"{self.name}: the stream ended before the reply was complete "
                f"({len(parts)} pieces, no finish_reason)",
                provider=self.name,
            )
        text = "".join(parts)
        return Completion(
            provider=self.name,
            model=model,
            text=text,
            input_tokens=input_tokens if input_tokens is not None else self._input_tokens(request),
            output_tokens=(
                output_tokens if output_tokens is not None else self._output_tokens(request, text)
            ),
            latency_ms=elapsed_ms(started),
            finish_reason=finish,
            request_id=request_id,
        )

    # --- Responses --------------------------------------------------------------------------

    def _responses(self, request: CompletionRequest, started: float) -> Completion:
        options: dict[str, Any] = {
            "model": request.model,
            "input": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_output_tokens": request.max_output_tokens,
            "temperature": request.temperature,
            "store": False,
            "timeout": request.timeout_s,
        }
        if request.system:
            options["instructions"] = request.system
        if request.json_reply:
            options["text"] = {"format": {"type": "json_object"}}
        if request.stream:
            return self._responses_streamed(request, options, started)
        reply = self._client.responses.create(**options)
        return self._from_response(request, reply, started, reply._request_id)

    def _responses_streamed(
        self, request: CompletionRequest, options: dict[str, Any], started: float
    ) -> Completion:
        stream = self._client.responses.create(**options, stream=True)
        with stream:
            request_id = stream.response.headers.get("x-request-id")
            for event in stream:
                within_deadline(started, request, self.name)
                if event.type == "error":
                    raise from_status(
                        None, masked(event.message, (self._key,)), provider=self.name,
                        error_type=event.code,
                    )  # fmt: skip
                if event.type in ("response.completed", "response.incomplete", "response.failed"):
                    return self._from_response(request, event.response, started, request_id)
        raise ProviderConnectionError(
            f"{self.name}: the stream ended before response.completed", provider=self.name
        )

    def _from_response(
        self, request: CompletionRequest, reply: Any, started: float, request_id: str | None
    ) -> Completion:
        if reply.status == "failed" or reply.error is not None:
            error = reply.error
            raise from_status(
                None,
                masked(getattr(error, "message", "") or "response.failed", (self._key,)),
                provider=self.name,
                error_type=getattr(error, "code", None),
            )
        text = reply.output_text
        finish = reply.status
        if reply.incomplete_details is not None and reply.incomplete_details.reason:
            finish = reply.incomplete_details.reason
        usage = reply.usage
        return Completion(
            provider=self.name,
            model=reply.model or request.model,
            text=text,
            input_tokens=usage.input_tokens if usage else self._input_tokens(request),
            output_tokens=usage.output_tokens if usage else self._output_tokens(request, text),
            latency_ms=elapsed_ms(started),
            finish_reason=finish,
            request_id=request_id,
        )

    # --- usage a server did not report ------------------------------------------------------

    def _input_tokens(self, request: CompletionRequest) -> int:
        return self.count_tokens(request.model, request.system, request.messages)

    def _output_tokens(self, request: CompletionRequest, text: str) -> int:
        return int(openai_encoding(request.model).count(text))
