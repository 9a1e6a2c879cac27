"""What the provider tests share: a key that must never leak, requests, SSE framing, and
a werkzeug handler whose stream breaks off or stalls."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from werkzeug import Request, Response

from coderev.ports import ChatMessage, CompletionRequest

KEY = "sk-test-Zq8v1Xw0-NEVER-SHOWN"


def ask(model: str = "m-1", *, stream: bool = False, timeout_s: float = 5.0) -> CompletionRequest:
    return CompletionRequest(
        model=model,
        system="Review the code. Reply in JSON.",
        messages=(ChatMessage("user", "def f(): return 1"),),
        max_output_tokens=200,
        stream=stream,
        timeout_s=timeout_s,
    )


def sse(events: Iterable[dict[str, Any] | str], *, named: bool = False) -> list[str]:
    """SSE frames: `data: <json>` (with `event: <type>` first when `named`); a str as is."""
    frames = []
    for event in events:
        if isinstance(event, str):
            frames.append(event)
        elif named:
            frames.append(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n")
        else:
            frames.append(f"data: {json.dumps(event)}\n\n")
    return frames


def streaming(
    frames: list[str], *, cut_after: int | None = None, stall_before: int | None = None,
    stall_s: float = 0.0, status: int = 200,
) -> Callable[[Request], Response]:  # fmt: skip
    """A handler streaming `frames`; it drops the connection after `cut_after` frames, or
    waits `stall_s` before frame `stall_before` (0: before anything, headers included)."""

    def body() -> Iterator[bytes]:
        for index, frame in enumerate(frames):
            if index == stall_before:
                time.sleep(stall_s)
            if index == cut_after:
                raise ConnectionAbortedError("the model server went away mid-stream")
            yield frame.encode()

    def handler(request: Request) -> Response:
        return Response(body(), status=status, content_type="text/event-stream")

    return handler


@pytest.fixture
def no_provider_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider variable of the machine reaches the code under test."""
    from coderev.config import get_settings

    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                 "HUGGINGFACE_API_KEY", "CODEREV_HF_ENDPOINT_URL", "CODEREV_OPENAI_API",
                 "HF_TOKEN", "ANTHROPIC_AUTH_TOKEN"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
