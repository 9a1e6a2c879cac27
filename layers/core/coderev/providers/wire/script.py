"""What the wire server answers: a script of replies and faults, taken in order, one per model
call (count_tokens and model lists are answered without taking one); once it runs out, the
server's responder writes the reply.

A script file is a JSON list; each item a reply or a fault:

    [{"text": "{\\"comments\\": []}"},
     {"fault": "rate_limit", "retry_after": 2},
     {"fault": "server_error"}, {"fault": "overloaded"},
     {"fault": "slow_first_token", "delay_s": 3},
     {"fault": "disconnect", "after": 2},
     {"fault": "stream_error", "after": 1},
     {"fault": "malformed_json"}]

`text` left out: the responder's reply. A fault may carry `text` (what slow_first_token and
disconnect stream), `status` (another HTTP status) and `message`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FAULTS", "Fault", "Reply", "Script", "load_script"]

FAULTS = (
    "rate_limit",  # 429 with Retry-After (seconds) and retry-after-ms
    "server_error",  # 500
    "overloaded",  # 529 (Anthropic's overloaded_error; TGI's "overloaded")
    "slow_first_token",  # headers at once, then `delay_s` before the first token
    "disconnect",  # the connection closes after `after` pieces of the reply
    "stream_error",  # the API's own error event inside a 200 stream, after `after` pieces
    "malformed_json",  # a 200 whose body (or stream event) is not JSON
)


@dataclass(frozen=True, slots=True)
class Reply:
    """A model's answer; `text` None: the responder writes it."""

    text: str | None = None
    finish_reason: str = "stop"


@dataclass(frozen=True, slots=True)
class Fault:
    kind: str
    retry_after: float | None = None
    delay_s: float = 2.0
    after: int = 1
    status: int | None = None
    message: str | None = None
    text: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULTS:
            raise ValueError(f"unknown fault {self.kind!r}; choose one of {', '.join(FAULTS)}")


Step = Reply | Fault


class Script:
    """Steps taken in order by concurrent requests (thread-safe)."""

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self._steps: deque[Step] = deque(steps)
        self._lock = threading.Lock()

    def add(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    def take(self) -> Step | None:
        with self._lock:
            return self._steps.popleft() if self._steps else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._steps)


def step_of(item: Mapping[str, Any]) -> Step:
    if "fault" in item:
        known = {"retry_after", "delay_s", "after", "status", "message", "text"}
        unknown = set(item) - known - {"fault"}
        if unknown:
            raise ValueError(f"fault {item['fault']!r}: unknown keys {sorted(unknown)}")
        return Fault(str(item["fault"]), **{k: item[k] for k in known if k in item})
    unknown = set(item) - {"text", "finish_reason"}
    if unknown:
        raise ValueError(f"reply: unknown keys {sorted(unknown)}")
    return Reply(**dict(item))


def load_script(path: Path) -> Script:
    """A Script from a JSON file (see the module docstring); ValueError when malformed."""
    items = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{path}: a script is a JSON list of objects")
    return Script(step_of(item) for item in items)
