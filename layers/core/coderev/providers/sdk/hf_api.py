"""`ModelProvider` on huggingface_hub: InferenceClient.chat_completion against an Inference
Endpoint / TGI / any server speaking the OpenAI chat format at `endpoint_url`
(CODEREV_HF_ENDPOINT_URL), else the Hugging Face router with the model's id.

The SDK does not retry inference calls, so there is no max_retries here. Without a key it uses
the SDK's own token (HF_TOKEN, or `hf auth login`'s). temperature 0 is not sent: TGI refuses a
temperature that is not strictly positive, and leaving it out means greedy decoding there.
Input tokens: what the server reports, else `tokens.estimate_chat` (exact for the Llama 3,
Qwen and gpt-oss encodings quicktok bundles, an estimate otherwise).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from coderev.domain.errors import (
    ProviderConnectionError,
    ProviderError,
    ProviderInvalidOutput,
    ProviderRequestError,
    ProviderUnavailable,
)
from coderev.ports import ChatMessage, Completion, CompletionRequest, ProbeResult
from coderev.providers.sdk.errors import from_exception, masked
from coderev.providers.sdk.timing import elapsed_ms, within_deadline
from coderev.providers.sdk.tokens import estimate_chat

if TYPE_CHECKING:
    from huggingface_hub import InferenceClient

__all__ = ["ROUTER_URL", "HuggingFaceProvider"]

ROUTER_URL = "https://router.huggingface.co"


class HuggingFaceProvider:
    """An open model behind a Hugging Face endpoint or the Hugging Face router."""

    kind = "hf"

    def __init__(
        self,
        *,
        api_key: str | None,
        name: str = "hf",
        endpoint_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        from huggingface_hub import InferenceClient

        self.name = name
        self.endpoint_url = endpoint_url
        self.timeout_s = timeout_s
        self._key = api_key
        self._client: InferenceClient = InferenceClient(
            base_url=endpoint_url, api_key=api_key, timeout=timeout_s
        )

    def __repr__(self) -> str:
        return (
            f"HuggingFaceProvider(name={self.name!r}, endpoint_url={self.endpoint_url!r}, "
            f"timeout_s={self.timeout_s})"
        )

    def complete(self, request: CompletionRequest) -> Completion:
        started = time.perf_counter()
        options: dict[str, Any] = {
            "messages": _messages(request),
            "model": request.model,
            "max_tokens": request.max_output_tokens,
        }
        if request.temperature > 0:
            options["temperature"] = request.temperature
        if request.json_reply:
            options["response_format"] = {"type": "json_object"}
        client = self._client
        if request.timeout_s != self.timeout_s:
            client = self._with_timeout(request.timeout_s)
        try:
            if request.stream:
                return self._streamed(client, request, options, started)
            reply = client.chat_completion(**options)
            if not reply.choices:
                raise ProviderInvalidOutput(
                    f"{self.name}: a reply without choices", provider=self.name
                )
            choice = reply.choices[0]
            text = choice.message.content or ""
            usage = reply.usage
            return Completion(
                provider=self.name,
                model=reply.model or request.model,
                text=text,
                input_tokens=usage.prompt_tokens if usage else self._input_tokens(request),
                output_tokens=(
                    usage.completion_tokens if usage else self._output_tokens(request, text)
                ),
                latency_ms=elapsed_ms(started),
                finish_reason=choice.finish_reason,
                request_id=None,
            )
        except Exception as exc:
            raise self._error(exc) from None

    def _streamed(
        self, client: InferenceClient, request: CompletionRequest, options: dict[str, Any],
        started: float,
    ) -> Completion:  # fmt: skip
        parts: list[str] = []
        finish: str | None = None
        input_tokens = output_tokens = None
        model = request.model
        options = {**options, "stream_options": {"include_usage": True}}
        chunks = client.chat_completion(**options, stream=True)
        for chunk in chunks:
            within_deadline(started, request, self.name)
            model = chunk.model or model
            if chunk.usage is not None:
                input_tokens = chunk.usage.prompt_tokens
                output_tokens = chunk.usage.completion_tokens
            for choice in chunk.choices or ():
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
            request_id=None,
        )

    def count_tokens(self, model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
        return estimate_chat(model, system, messages)

    def probe(self, model: str) -> ProbeResult:
        """GET <endpoint or router>/v1/models (TGI, vLLM and the router all answer it)."""
        from huggingface_hub import get_session, hf_raise_for_status

        started = time.perf_counter()
        base = (self.endpoint_url or ROUTER_URL).rstrip("/")
        url = base if base.endswith("/v1") else f"{base}/v1"
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
        try:
            response = get_session().get(
                f"{url}/models", headers=headers, timeout=min(self.timeout_s, 10.0)
            )
            hf_raise_for_status(response)
        except Exception as exc:
            error = self._error(exc)
            return ProbeResult(False, elapsed_ms(started), f"{type(error).__name__}: {error}")
        return ProbeResult(True, elapsed_ms(started))

    # ----------------------------------------------------------------------------------------

    def _with_timeout(self, timeout_s: float) -> InferenceClient:
        from huggingface_hub import InferenceClient

        return InferenceClient(base_url=self.endpoint_url, api_key=self._key, timeout=timeout_s)

    def _error(self, exc: BaseException) -> ProviderError:
        """TGI's errors inside a stream first (the SDK raises them by error_type), then the
        mapping every adapter shares."""
        from huggingface_hub.errors import (
            OverloadedError,
            TextGenerationError,
            ValidationError,
        )

        if isinstance(exc, TextGenerationError):
            detail = f"{self.name}: {type(exc).__name__}: {masked(str(exc), (self._key,))}"
            if isinstance(exc, ValidationError):
                return ProviderRequestError(detail, provider=self.name)
            if isinstance(exc, OverloadedError):
                return ProviderUnavailable(detail, provider=self.name)
            return ProviderUnavailable(detail, provider=self.name)
        return from_exception(exc, provider=self.name, secrets=(self._key,))

    def _input_tokens(self, request: CompletionRequest) -> int:
        return estimate_chat(request.model, request.system, request.messages)

    def _output_tokens(self, request: CompletionRequest, text: str) -> int:
        return estimate_chat(request.model, "", (ChatMessage("assistant", text),)) - 4


def _messages(request: CompletionRequest) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages += [
        {"role": "assistant" if m.role == "assistant" else "user", "content": m.content}
        for m in request.messages
    ]
    return messages
