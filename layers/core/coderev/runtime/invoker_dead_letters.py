"""Dead letters of asynchronous invocations: what Lambda sends to a DLQ or OnFailure target.

Locally the target is an in-memory queue per target ARN, so tests and `coderev serve`
can read what failed, with the original event and the error attributes Lambda attaches.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coderev.runtime.template_events import DeadLetterTarget

__all__ = ["DeadLetter", "DeadLetterQueue"]


@dataclass(frozen=True)
class DeadLetter:
    """One event whose asynchronous invocation failed on every attempt."""

    function: str
    request_id: str
    event: Any
    error_type: str
    error_message: str
    attempts: int
    target: DeadLetterTarget | None
    failed_at: float
    function_arn: str = ""

    def message_attributes(self) -> dict[str, str]:
        """The SQS message attributes Lambda sets on a dead-letter message."""
        return {"RequestID": self.request_id, "ErrorCode": "200",
                "ErrorMessage": self.error_message[:1024]}

    def on_failure_record(self) -> dict[str, Any]:
        """The invocation record Lambda sends to an OnFailure destination."""
        stamp = datetime.fromtimestamp(self.failed_at, UTC).isoformat(timespec="milliseconds")
        return {
            "version": "1.0",
            "timestamp": stamp.replace("+00:00", "Z"),
            "requestContext": {
                "requestId": self.request_id,
                "functionArn": f"{self.function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": self.attempts,
            },
            "requestPayload": self.event,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                "functionError": "Unhandled"},
            "responsePayload": {"errorMessage": self.error_message,
                                "errorType": self.error_type},
        }


class DeadLetterQueue:
    """A thread-safe in-memory queue of dead letters for one target."""

    def __init__(self, name: str):
        self.name = name
        self._letters: list[DeadLetter] = []
        self._condition = threading.Condition()

    def put(self, letter: DeadLetter) -> None:
        with self._condition:
            self._letters.append(letter)
            self._condition.notify_all()

    def messages(self) -> tuple[DeadLetter, ...]:
        """Every letter, oldest first, without removing them."""
        with self._condition:
            return tuple(self._letters)

    def receive(self, max_messages: int = 10) -> list[DeadLetter]:
        """Remove and return up to `max_messages` letters, oldest first."""
        with self._condition:
            taken, self._letters = self._letters[:max_messages], self._letters[max_messages:]
            return taken

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until the queue holds at least `count` letters or `timeout` passes."""
        with self._condition:
            return self._condition.wait_for(lambda: len(self._letters) >= count, timeout)

    def __len__(self) -> int:
        with self._condition:
            return len(self._letters)
