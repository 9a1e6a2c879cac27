"""Errors of the States Language interpreter, as types.

Two families: errors raised to the *caller* (a definition that does not validate, an
execution that is unknown) and errors raised *inside* an execution, which carry the
States Language error name and cause so Retry/Catch can match them by name.
"""

from __future__ import annotations


class StatesError(Exception):
    """Base class of every error this package raises."""


class InvalidDefinitionError(StatesError):
    """The state machine definition does not validate (what CreateStateMachine rejects)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid State Machine Definition: " + "; ".join(problems))


class ExecutionNotFoundError(StatesError):
    """No execution with that id is known to the store."""


class ExecutionAlreadyExistsError(StatesError):
    """An execution with that name already exists for that state machine."""


class StateFailure(StatesError):
    """An error raised inside an execution: `error` is the States Language error name."""

    def __init__(self, error: str, cause: str = "") -> None:
        self.error = error
        self.cause = cause
        super().__init__(f"{error}: {cause}" if cause else error)


class TaskFailedError(StateFailure):
    """What a TaskInvoker raises when the task failed; matched by name and States.TaskFailed."""


class TaskTimeoutError(StateFailure):
    """A task ran longer than its TimeoutSeconds (States.Timeout)."""

    def __init__(self, cause: str = "") -> None:
        super().__init__("States.Timeout", cause)


class RuntimeFailure(StateFailure):
    """States.Runtime: a path or value is invalid at run time; never retried or caught."""

    def __init__(self, cause: str) -> None:
        super().__init__("States.Runtime", cause)
        self.located = False


class IntrinsicFailure(RuntimeFailure):
    """An intrinsic function could not be evaluated. Step Functions reports this as
    States.Runtime (LocalStack's snapshots of AWS, and so moto, agree), not as the
    States.IntrinsicFailure name the documentation lists."""


class ResultPathMatchFailure(StateFailure):
    """States.ResultPathMatchFailure: ResultPath cannot be applied to the state input."""

    def __init__(self, cause: str) -> None:
        super().__init__("States.ResultPathMatchFailure", cause)


class NoChoiceMatchedError(StateFailure):
    """States.NoChoiceMatched: no Choice rule matched and there is no Default."""

    def __init__(self, cause: str) -> None:
        super().__init__("States.NoChoiceMatched", cause)


class ExecutionStopped(StatesError):
    """Unwinds a run that was aborted, timed out, or cancelled because a sibling failed."""

    def __init__(self, status: str, error: str, cause: str) -> None:
        self.status, self.error, self.cause = status, error, cause
        super().__init__(f"{status}: {error}")


class DataLimitExceededError(StateFailure):
    """States.DataLimitExceeded: a state's input, output or task result is over 256 KiB."""

    def __init__(self, cause: str) -> None:
        super().__init__("States.DataLimitExceeded", cause)
