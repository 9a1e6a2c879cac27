"""Counting a prompt's tokens to fit chunks within a model's budget, without a network call.

Chunks are planned before any model is chosen (the router picks a model per chunk, knowing
its size), so the planner counts with one tokenizer: OpenAI's `o200k_base` encoding through
quicktok-v1 (exact for GPT-4o and later, byte-identical to tiktoken). Other providers'
tokenizers differ; for them the count is an estimate, and the chunk budget leaves room for
the difference (CODEREV_AI_CHUNK_TOKENS is far below every context window). When quicktok is
not installed, `estimate_tokens` is used: one token per 3 UTF-8 bytes, which over-counts
code (o200k averages about 3.5-4 bytes per token on Python source), so a chunk errs small.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache

__all__ = ["TokenCounter", "default_counter", "estimate_tokens", "quicktok_counter"]

TokenCounter = Callable[[str], int]
BYTES_PER_TOKEN = 3.0
DEFAULT_ENCODING = "o200k_base"


def estimate_tokens(text: str) -> int:
    """A conservative estimate: one token per BYTES_PER_TOKEN UTF-8 bytes."""
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


def quicktok_counter(encoding: str = DEFAULT_ENCODING) -> TokenCounter:
    """Exact counts in `encoding` (ImportError when quicktok-v1 is not installed)."""
    import quicktok  # type: ignore[import-untyped,unused-ignore]

    tokenizer = quicktok.get_encoding(encoding)

    def count(text: str) -> int:
        return int(tokenizer.count(text))

    return count


@cache
def default_counter() -> TokenCounter:
    """quicktok's o200k_base when installed, else the estimate."""
    try:
        return quicktok_counter()
    except ImportError:
        return estimate_tokens
