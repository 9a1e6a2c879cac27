"""The environment variables of an invocation, applied to a process-global `os.environ`.

Lambda gives each sandbox its own environment; in one process there is only one. So
`EnvironmentGate` lets invocations share a turn when their variables agree, while a function
with other variables waits for the turn to end; the previous values are restored when the
last invocation of a turn finishes. Waiting functions are served before new arrivals of the
current turn, so a busy function cannot starve the others.

Variables agree when they are equal bar the names Lambda sets per function
(`PER_FUNCTION`: AWS_LAMBDA_FUNCTION_NAME, _HANDLER, ...): functions declaring the same
variables (the analysis steps, all from the template's Globals) run side by side, as the
state machine's Parallel and Map states ask, instead of one function at a time (the Ruff
step waited for the AnalyzeShard iterations, then ran while they waited). In a shared turn
`os.environ` holds the per-function names of the invocation that opened it; each
invocation's own are in its environment mapping (below) and its Lambda context.

A turn also gives each invocation its environment as a mapping (the process's environment
when the turn began, plus the function's variables), which `settings_bound` binds to the
handler's thread as its `coderev.config` settings scope: `get_settings()` there is that
function's, even where `os.environ` cannot be (a handler still running after its timeout,
while another function has the turn; a sibling that nested into another function).

`host_variables` are the local platform's own: in-process, handlers share the platform's
backends (data dir, object store, bus, database), so for those the process's values stand,
whatever the template says for a Lambda sandbox (`CODEREV_DATA_DIR: /tmp/coderev`, an empty
`DATABASE_URL`).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager

from coderev.runtime.template import FunctionSpec
from coderev.runtime.template.intrinsics import StackIdentity

__all__ = ["PER_FUNCTION", "EnvironmentGate", "lambda_environment", "settings_bound"]

# What Lambda defines per function (see lambda_environment): functions whose other variables
# agree share a turn (see the module docstring).
PER_FUNCTION = frozenset({
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "LAMBDA_TASK_ROOT", "_HANDLER", "AWS_EXECUTION_ENV",
})


def lambda_environment(
    spec: FunctionSpec, identity: StackIdentity, host_variables: Collection[str] = ()
) -> dict[str, str]:
    """The function's variables from the template (bar `host_variables`, which keep this
    process's values) plus those Lambda itself defines."""
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
    declared = {name: value for name, value in spec.environment.items()
                if name not in host_variables}  # fmt: skip
    return {**declared, **reserved}


@contextmanager
def settings_bound(environ: Mapping[str, str]) -> Iterator[None]:
    """Bind `environ` as this thread's settings scope (see the module docstring)."""
    from coderev.config import settings_scope

    with settings_scope(environ):
        yield


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
        self._owner: frozenset[tuple[str, str]] | None = None  # the turn's shared variables
        self._active = 0
        self._saved: dict[str, str | None] = {}
        self._base: dict[str, str] | None = None  # os.environ when the current turn began
        self._waiting: Counter[frozenset[tuple[str, str]]] = Counter()
        self._local = threading.local()

    def mark_inside(self) -> None:
        """Called on a handler's worker thread: invocations from there nest, never wait."""
        self._local.inside = True

    @property
    def owner(self) -> frozenset[tuple[str, str]] | None:
        """The variables (bar PER_FUNCTION) of the turn being held; None between turns."""
        return self._owner

    def _may_enter(self, owner: frozenset[tuple[str, str]]) -> bool:
        if self._owner is None:
            return True
        others_waiting = any(count for name, count in self._waiting.items() if name != owner)
        return self._owner == owner and not others_waiting

    @contextmanager
    def turn(self, owner: str, variables: Mapping[str, str]) -> Iterator[Mapping[str, str]]:
        """Hold a turn for function `owner` with `variables` applied for the duration of the
        block (shared with the functions whose variables agree); yields the invocation's
        whole environment."""
        if getattr(self._local, "inside", False):
            base = self._base if self._base is not None else dict(os.environ)
            saved = _apply(variables)
            try:
                yield {**base, **variables}
            finally:
                _restore(saved)
            return
        key = frozenset((k, v) for k, v in variables.items() if k not in PER_FUNCTION)
        with self._condition:
            self._waiting[key] += 1
            try:
                self._condition.wait_for(lambda: self._may_enter(key))
            finally:
                self._waiting[key] -= 1
            if self._active == 0:
                self._owner = key
                self._base = dict(os.environ)
                self._saved = _apply(variables)
            environ = {**(self._base or {}), **variables}
            self._active += 1
        try:
            yield environ
        finally:
            with self._condition:
                self._active -= 1
                if self._active == 0:
                    _restore(self._saved)
                    self._owner = None
                    self._condition.notify_all()
