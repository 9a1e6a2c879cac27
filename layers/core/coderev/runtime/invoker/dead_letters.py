"""Dead letters of asynchronous invocations: what Lambda sends to a DLQ or OnFailure target.

Locally the target is an in-memory queue per target ARN, so tests and `coderev serve`
can read what failed, with the original event and the error attributes Lambda attaches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coderev.runtime.invoker.queues import InProcessQueue
from coderev.runtime.template.events import DeadLetterTarget

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


class DeadLetterQueue(InProcessQueue[DeadLetter]):
    """A thread-safe in-memory queue of dead letters for one target."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
