"""The environment variables of an invocation, applied to a process-global `os.environ`.

Lambda gives each sandbox its own environment; in one process there is only one. So
`EnvironmentGate` lets invocations of the same function share a turn (same variables)
while a different function waits for the turn to end; the previous values are restored
when the last invocation of a turn finishes. Waiting functions are served before new
arrivals of the current one, so a busy function cannot starve the others.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from coderev.runtime.template import FunctionSpec
from coderev.runtime.template_intrinsics import StackIdentity

__all__ = ["EnvironmentGate", "lambda_environment"]


def lambda_environment(spec: FunctionSpec, identity: StackIdentity) -> dict[str, str]:
    """The function's variables from the template plus those Lambda itself defines."""
    reserved = {
        "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
        "AWS_REGION": identity.region,
        "AWS_DEFAULT_REGION": identity.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "LAMBDA_TASK_ROOT": str(spec.code_dir),
        "_HANDLER": spec.handler,
    }
    return {**spec.environment, **reserved}


def _apply(variables: Mapping[str, str]) -> dict[str, str | None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    return saved


def _restore(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class EnvironmentGate:
    """Turn-taking over `os.environ` between functions; see the module docstring."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._owner: str | None = None
        self._active = 0
        self._saved: dict[str, str | None] = {}
        self._waiting: Counter[str] = Counter()
        self._local = threading.local()

    def mark_inside(self) -> None:
        """Called on a handler's worker thread: invocations from there nest, never wait."""
        self._local.inside = True

    @property
    def owner(self) -> str | None:
        return self._owner

    def _may_enter(self, owner: str) -> bool:
        if self._owner is None:
            return True
        others_waiting = any(count for name, count in self._waiting.items() if name != owner)
        return self._owner == owner and not others_waiting

    @contextmanager
    def turn(self, owner: str, variables: Mapping[str, str]) -> Iterator[None]:
        """Hold `owner`'s turn with `variables` applied for the duration of the block."""
        if getattr(self._local, "inside", False):
            saved = _apply(variables)
            try:
                yield
            finally:
                _restore(saved)
            return
        with self._condition:
            self._waiting[owner] += 1
            try:
                self._condition.wait_for(lambda: self._may_enter(owner))
            finally:
                self._waiting[owner] -= 1
            if self._active == 0:
                self._owner = owner
                self._saved = _apply(variables)
            self._active += 1
        try:
            yield
        finally:
            with self._condition:
                self._active -= 1
                if self._active == 0:
                    _restore(self._saved)
                    self._owner = None
                    self._condition.notify_all()
