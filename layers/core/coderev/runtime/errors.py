"""Errors of the local function platform, as types.

Two families: errors about what the platform was *given* (a template it cannot run, an
unknown function, an expression it cannot parse) raise to the caller; errors *inside* a
function never raise out of the invoker, they become Lambda's error payload instead.
"""

from __future__ import annotations


class RuntimePlatformError(Exception):
    """Base class of every error the local function platform raises to its caller."""


class TemplateError(RuntimePlatformError):
    """template.yaml declares something the local platform cannot run.

    Names the resource and the property so the message points at the line to fix.
    """

    def __init__(self, message: str, *, resource: str | None = None, prop: str | None = None):
        self.resource = resource
        self.prop = prop
        self.reason = message
        where = " ".join(
            part
            for part in (
                f"resource {resource!r}" if resource else "",
                f"property {prop!r}" if prop else "",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)


class FunctionNotFoundError(RuntimePlatformError):
    """No function in the template matches a logical id, a function name or an ARN."""

    def __init__(self, reference: str):
        self.reference = reference
        super().__init__(f"Function not found: {reference}")


class HandlerLoadError(RuntimePlatformError):
    """The handler module does not import or lacks the handler; Lambda's Runtime.* errors."""

    def __init__(self, error_type: str, message: str):
        self.error_type = error_type
        super().__init__(message)


class InvalidEventError(RuntimePlatformError):
    """The event cannot be sent to a function: Lambda only accepts JSON."""


class FunctionThrottledError(RuntimePlatformError):
    """The function's reserved concurrency is exhausted (Lambda's TooManyRequestsException)."""

    def __init__(self, function: str, limit: int):
        self.function = function
        self.limit = limit
        super().__init__(f"Rate exceeded: {function} has reserved concurrency {limit}")


class InvokerClosedError(RuntimePlatformError):
    """An asynchronous invocation was requested after the invoker was closed."""


class ScheduleExpressionError(RuntimePlatformError):
    """A rate() or cron() expression that EventBridge would reject."""

    def __init__(self, expression: str, reason: str):
        self.expression = expression
        self.reason = reason
        super().__init__(f"Invalid schedule expression {expression!r}: {reason}")


class AuthorizerFailedError(RuntimePlatformError):
    """A Lambda authorizer failed or returned no valid policy; API Gateway answers 500."""


class GatewayConfigurationError(RuntimePlatformError):
    """Two Api events claim the same method and path, or a path template is malformed."""


class InvocationTimedOutError(BaseException):
    """Raised *inside* a handler's thread once its invocation has timed out, to stop it (see
    `coderev.runtime.invoker.threads`). A BaseException, as KeyboardInterrupt is: code that
    handles `Exception` must not catch it and carry on; `finally` blocks still run."""
