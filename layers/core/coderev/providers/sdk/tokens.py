"""Counting input tokens without calling a provider.

- OpenAI models: exact, with quicktok-v1 (byte-identical to tiktoken) in the model's encoding:
  quicktok's own table (gpt-4o, o1, o3: o200k_base; gpt-4, gpt-3.5: cl100k_base), else
  o200k_base, the encoding of every OpenAI model since gpt-4o. Chat framing is added as
  OpenAI documents it: 3 tokens per message (the system prompt is one) and 3 priming the reply.
- Open models (Hugging Face): exact with quicktok when it bundles the model's encoding (Llama 3,
  Qwen 2.5/3, gpt-oss); otherwise an estimate of one token per 3 bytes of UTF-8, rounded up,
  plus 4 per message. Code runs at 3 to 4 bytes per token in the Llama/Mistral vocabularies,
  so 3 over-counts a little: a chunk planned with it fits the real budget.
- Anthropic models: the provider's count_tokens endpoint (see anthropic_api); this module's
  estimate only when the endpoint is not there (a gateway without it).
"""

from __future__ import annotations

import math
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import quicktok

    from coderev.ports import ChatMessage

__all__ = ["count_chat", "estimate_chat", "openai_encoding"]

MESSAGE_OVERHEAD = 3  # <|start|>role\n ... <|end|> per message, OpenAI's chat framing
REPLY_PRIMING = 3  # <|start|>assistant<|message|>
BYTES_PER_TOKEN = 3.0
ESTIMATE_OVERHEAD = 4


@cache
def openai_encoding(model: str) -> quicktok.Tokenizer:
    import quicktok

    try:
        return quicktok.encoding_for_model(model)
    except KeyError:
        return quicktok.get_encoding("o200k_base")


@cache
def _open_model_encoding(model: str) -> quicktok.Tokenizer | None:
    import quicktok

    try:
        return quicktok.encoding_for_model(model)
    except KeyError:
        return None


def _texts(system: str, messages: Iterable[ChatMessage]) -> list[str]:
    return ([system] if system else []) + [m.content for m in messages]


def count_chat(encoding: quicktok.Tokenizer, system: str, messages: tuple[ChatMessage, ...]) -> int:
    """Exact content tokens (specials in the text counted as text) plus the chat framing."""
    texts = _texts(system, messages)
    content = sum(int(encoding.count(t)) for t in texts)
    return content + MESSAGE_OVERHEAD * len(texts) + REPLY_PRIMING


def estimate_chat(model: str, system: str, messages: tuple[ChatMessage, ...]) -> int:
    """Open models: exact when quicktok bundles the model's encoding, else the estimate."""
    encoding = _open_model_encoding(model)
    if encoding is not None:
        return count_chat(encoding, system, messages)
    texts = _texts(system, messages)
    size = sum(len(t.encode("utf-8")) for t in texts)
    return math.ceil(size / BYTES_PER_TOKEN) + ESTIMATE_OVERHEAD * len(texts)
