"""Where executions are kept: a narrow Protocol and the in-memory default.

A SQLite-backed store can implement the same four methods later.
"""

from __future__ import annotations

import threading
from typing import Protocol, runtime_checkable

from coderev.runtime.states.errors import ExecutionAlreadyExistsError, ExecutionNotFoundError
from coderev.runtime.states.execution import Execution, ExecutionStatus


@runtime_checkable
class ExecutionStore(Protocol):
    def add(self, execution: Execution) -> None: ...

    def get(self, execution_arn: str) -> Execution: ...

    def save(self, execution: Execution) -> None: ...

    def list(self, state_machine_arn: str | None = None,
             status: ExecutionStatus | None = None) -> list[Execution]: ...  # fmt: skip


class InMemoryExecutionStore:
    """Executions by ARN, in start order; raises ExecutionAlreadyExistsError on a reused name."""

    def __init__(self) -> None:
        self._executions: dict[str, Execution] = {}
        self._lock = threading.Lock()

    def add(self, execution: Execution) -> None:
        with self._lock:
            if execution.execution_arn in self._executions:
                raise ExecutionAlreadyExistsError(execution.execution_arn)
            self._executions[execution.execution_arn] = execution

    def get(self, execution_arn: str) -> Execution:
        with self._lock:
            try:
                return self._executions[execution_arn]
            except KeyError:
                raise ExecutionNotFoundError(execution_arn) from None

    def save(self, execution: Execution) -> None:
        with self._lock:
            self._executions[execution.execution_arn] = execution

    def list(
        self, state_machine_arn: str | None = None, status: ExecutionStatus | None = None
    ) -> list[Execution]:
        with self._lock:
            return [e for e in self._executions.values()
                    if (state_machine_arn is None or e.state_machine_arn == state_machine_arn)
                    and (status is None or e.status == status)]  # fmt: skip
