"""`coderev invoke`: one function of the template, once, in this process — `sam local invoke`
without Docker.

The function runs through the same `LocalInvoker` as `coderev serve`: its template Environment
(plus the variables Lambda defines), its Timeout and MemorySize in its context, its cold start.
As under `serve`, the backend variables (`HOST_VARIABLES`: data dir, database, object store...)
keep this machine's values, so an invoked function sees what `coderev serve` and `coderev
review` recorded; `--env-vars` overrides any variable, those included. The env-vars file has
SAM's format: `{"Parameters": {VAR: value}}` for every function and `{"<LogicalId>": {...}}`
for one; as with SAM, only variables the function declares in the template are applied
(`IgnoredVariable` lists the others, so a typo does not pass silently).

A function is named by logical id, FunctionName, ARN, or its `functions/<folder>`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from coderev.runtime.errors import FunctionNotFoundError, RuntimePlatformError
from coderev.runtime.invoker import InvocationResult, LocalInvoker
from coderev.runtime.platform.assembly import HOST_VARIABLES
from coderev.runtime.template import FunctionSpec, Template

__all__ = ["InvokeInputError", "LocalInvocation", "invoke_function", "read_env_vars",
           "read_event"]  # fmt: skip


class InvokeInputError(RuntimePlatformError):
    """The event or env-vars file cannot be read, or names no function of the template."""


@dataclass(frozen=True)
class LocalInvocation:
    function: FunctionSpec
    result: InvocationResult
    ignored_variables: tuple[str, ...]
    max_memory_mb: int


def read_event(source: str | None, stdin: TextIO | None = None) -> Any:
    """The event: a JSON file, `-` for standard input, none for `{}` (as SAM does)."""
    if source is None:
        return {}
    try:
        text = (stdin or sys.stdin).read() if source == "-" else Path(source).read_text("utf-8")
    except OSError as exc:
        raise InvokeInputError(f"cannot read the event {source}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "standard input" if source == "-" else source
        raise InvokeInputError(f"the event in {where} is not JSON: {exc}") from None


def read_env_vars(path: Path | None) -> dict[str, dict[str, str]]:
    """SAM's env-vars file: {"Parameters" | LogicalId: {VAR: value}}, values as strings."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvokeInputError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InvokeInputError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InvokeInputError(
            f'{path}: expected {{"Parameters": {{"VAR": "value"}}, "<LogicalId>": {{...}}}}'
        )
    return {str(scope): {str(k): _text(v) for k, v in variables.items()}
            for scope, variables in data.items()}  # fmt: skip


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def find_function(template: Template, reference: str) -> FunctionSpec:
    """By logical id, FunctionName or ARN, else by the code folder's name (functions/<name>)."""
    try:
        return template.function(reference)
    except FunctionNotFoundError:
        by_folder = [f for f in template.functions.values() if f.code_dir.name == reference]
        if len(by_folder) == 1:
            return by_folder[0]
        known = ", ".join(sorted(template.functions))
        raise InvokeInputError(f"no function {reference!r} in {template.path.name}; "
                               f"its functions: {known}") from None  # fmt: skip


def invoke_function(
    template: Template, reference: str, event: Any,
    env_vars: Mapping[str, Mapping[str, str]] | None = None,
) -> LocalInvocation:  # fmt: skip
    """Invoke the function once, synchronously; a handler error is in the result, not raised."""
    import resource

    spec = find_function(template, reference)
    overrides = {**(env_vars or {}).get("Parameters", {}),
                 **(env_vars or {}).get(spec.logical_id, {})}  # fmt: skip
    applied = {k: v for k, v in overrides.items() if k in spec.environment}
    ignored = tuple(sorted(set(overrides) - set(applied)))
    changed = dataclasses.replace(spec, environment={**spec.environment, **applied})
    one = dataclasses.replace(template, functions={spec.logical_id: changed})
    with LocalInvoker(one, host_variables=HOST_VARIABLES - set(applied)) as invoker:
        result = invoker.invoke(spec.logical_id, event)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return LocalInvocation(changed, result, ignored, int(peak))


def report_lines(invocation: LocalInvocation) -> list[str]:
    """The START / END / REPORT lines Lambda (and `sam local invoke`) log for an invocation."""
    result, spec = invocation.result, invocation.function
    report = "\t".join((
        f"REPORT RequestId: {result.request_id}",
        f"Duration: {result.duration_ms:.2f} ms",
        f"Billed Duration: {max(1, round(result.duration_ms))} ms",
        f"Memory Size: {spec.memory} MB",
        f"Max Memory Used: {invocation.max_memory_mb} MB",
    ))  # fmt: skip
    if result.init_duration_ms is not None:
        report += f"\tInit Duration: {result.init_duration_ms:.2f} ms"
    return [f"START RequestId: {result.request_id} Version: $LATEST",
            f"END RequestId: {result.request_id}", report]  # fmt: skip
