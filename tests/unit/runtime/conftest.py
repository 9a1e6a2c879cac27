"""What the runtime's unit tests share: the fixture templates, and reading what their handlers
received (they write each event as JSON under SinkDir/<function name>/). Test modules import
these helpers: `from tests.unit.runtime.conftest import ...`."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TEMPLATES = Path(__file__).parents[2] / "fixtures" / "templates"


def received(sink: Path, function: str, count: int, timeout: float = 10.0) -> list[Any]:
    """The events `function` was invoked with, oldest first, once there are `count` (or the
    timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        files = sorted((sink / function).glob("*.json")) if (sink / function).is_dir() else []
        if len(files) >= count or time.monotonic() > deadline:
            return [json.loads(path.read_text()) for path in files]
        time.sleep(0.01)


def values_of(events: Iterable[Any]) -> list[Any]:
    """The decoded values of every record of the Kafka `events`, in delivery order."""
    return [
        json.loads(base64.b64decode(record["value"]))
        for event in events
        for records in event["records"].values()
        for record in records
    ]
