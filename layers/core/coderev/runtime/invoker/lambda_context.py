"""The context object a handler receives, shaped like the Lambda Python runtime's.

It carries the attributes Powertools' `LambdaContext` reads (function name, version,
ARN, memory as an int, request id, log group/stream, identity, client_context) and
`get_remaining_time_in_millis()` counted down from the function's Timeout.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["LambdaContext", "log_stream_for"]


def log_stream_for(version: str = "$LATEST") -> str:
    """A log stream name as Lambda gives one execution environment (not one invocation)."""
    day = datetime.now(UTC).strftime("%Y/%m/%d")
    return f"{day}/[{version}]{uuid.uuid4().hex}"


@dataclass
class LambdaContext:
    """One invocation's context; `deadline` is on the `clock`'s monotonic scale (seconds)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    deadline: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    identity: Any = None
    client_context: Any = None
    tenant_id: str | None = None
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"
        if not self.log_stream_name:
            self.log_stream_name = log_stream_for(self.function_version)

    @classmethod
    def for_invocation(
        cls,
        *,
        function_name: str,
        invoked_function_arn: str,
        memory_limit_in_mb: int,
        timeout_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        request_id: str | None = None,
        log_stream_name: str = "",
    ) -> LambdaContext:
        """A context whose remaining time starts at `timeout_seconds` now."""
        return cls(
            function_name=function_name,
            invoked_function_arn=invoked_function_arn,
            memory_limit_in_mb=memory_limit_in_mb,
            deadline=clock() + timeout_seconds,
            aws_request_id=request_id or str(uuid.uuid4()),
            log_stream_name=log_stream_name,
            clock=clock,
        )

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the invocation times out, never below zero."""
        return max(0, int((self.deadline - self.clock()) * 1000))
