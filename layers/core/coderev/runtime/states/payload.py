"""Input and output processing: InputPath, Parameters/ResultSelector templates, ResultPath,
OutputPath, in the order and with the error names the States Language specifies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from coderev.runtime.states import intrinsics, jsonpath
from coderev.runtime.states.errors import (
    DataLimitExceededError,
    ResultPathMatchFailure,
    RuntimeFailure,
)

MAX_PAYLOAD_BYTES = 256 * 1024  # the Step Functions quota on any input, output or result

_ABSENT = object()


def dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _not_found_cause(text: str) -> str:
    try:
        normalized = jsonpath.parse(text).normalized()
    except jsonpath.PathSyntaxError:
        normalized = text
    return f"Invalid path '{text}' : No results for path: {normalized}"


def select_path(spec: Mapping[str, Any], field: str, data: Any, context: Any) -> Any:
    """InputPath / OutputPath / ItemsPath: absent means `$`, null means `{}`; a `$$.` path
    selects from the context object, as in AWS (`"ItemsPath": "$$.Execution.Input.items"`)."""
    text = spec.get(field, "$")
    if text is None:
        return {}
    path = jsonpath.parse(text)
    try:
        return jsonpath.select(path, context if path.context else data)
    except jsonpath.PathNotFoundError:
        raise RuntimeFailure(_not_found_cause(text)) from None


def select_value(text: str, data: Any, context: Any) -> Any:
    """One path (input or `$$.` context) that must exist: SecondsPath, ErrorPath, ...
    ErrorPath and CausePath may also be an intrinsic function (`States.Format(...)`)."""
    if intrinsics.is_intrinsic(text):
        return intrinsics.evaluate(intrinsics.parse(text), data, context)
    path = jsonpath.parse(text)
    try:
        return jsonpath.select(path, context if path.context else data)
    except jsonpath.PathNotFoundError:
        raise RuntimeFailure(_not_found_cause(text)) from None


def render(template: Any, data: Any, context: Any) -> Any:
    """Evaluate a payload template (Parameters, ResultSelector, ItemSelector)."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _dynamic(key, value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(template, list):
        return [render(item, data, context) for item in template]
    return template


def _dynamic(key: str, text: Any, data: Any, context: Any) -> Any:
    if not isinstance(text, str):
        raise RuntimeFailure(f"The value for the field '{key}' must be a STRING")
    if intrinsics.is_intrinsic(text):
        return intrinsics.evaluate(intrinsics.parse(text), data, context)
    path = jsonpath.parse(text)
    source = context if path.context else data
    try:
        return jsonpath.select(path, source)
    except jsonpath.PathNotFoundError:
        raise RuntimeFailure(
            f"The JSONPath '{text}' specified for the field '{key}' could not be found "
            f"in the input '{dump(source)}'"
        ) from None


def apply_result_path(spec: Mapping[str, Any], state_input: Any, result: Any) -> Any:
    """ResultPath: absent means `$` (result replaces input), null discards the result."""
    text = spec.get("ResultPath", "$")
    if text is None:
        return state_input
    try:
        return jsonpath.assign(jsonpath.parse(text), state_input, result)
    except jsonpath.PathNotFoundError:
        raise ResultPathMatchFailure(
            f"Unable to apply ResultPath '{text}' to input '{dump(state_input)}'"
        ) from None


def effective_input(spec: Mapping[str, Any], raw: Any, context: Any) -> Any:
    """InputPath then Parameters: what a Task, Pass, Map or Parallel works on."""
    data = select_path(spec, "InputPath", raw, context)
    if "Parameters" in spec:
        data = render(spec["Parameters"], data, context)
    return data


def finish(spec: Mapping[str, Any], raw_input: Any, result: Any, context: Any) -> Any:
    """ResultSelector, ResultPath then OutputPath: the state output from its result."""
    if "ResultSelector" in spec:
        result = render(spec["ResultSelector"], result, context)
    return select_path(spec, "OutputPath", apply_result_path(spec, raw_input, result), context)


def check_size(value: Any, what: str) -> None:
    """Raise States.DataLimitExceeded when `value` as JSON text is over the quota."""
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise DataLimitExceededError(
            f"The {what} of {size} bytes exceeds the maximum of {MAX_PAYLOAD_BYTES} bytes."
        )
