"""`StateMachine.from_definition`: parse and validate an ASL definition once.

Validation mirrors what CreateStateMachine rejects (unknown state types and fields, missing
or dangling transitions, unreachable states, malformed Retry/Catch/Choice/paths), with the
AWS error codes as message prefixes, so a definition that passes here deploys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coderev.runtime.states import choice, intrinsics, jsonpath
from coderev.runtime.states.errors import InvalidDefinitionError, StatesError

_COMMON = {"Type", "Comment", "InputPath", "OutputPath"}
_FLOW = {"Next", "End"}
_RESULT = {"ResultPath", "Parameters"}
_ERRORS = {"Retry", "Catch", "ResultSelector"}
FIELDS: dict[str, set[str]] = {
    "Pass": _COMMON | _FLOW | _RESULT | {"Result"},
    "Task": _COMMON | _FLOW | _RESULT | _ERRORS | {"Resource", "TimeoutSeconds",
        "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
    "Choice": _COMMON | {"Choices", "Default"},
    "Wait": _COMMON | _FLOW | {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": _COMMON,
    "Fail": {"Type", "Comment", "Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _COMMON | _FLOW | _RESULT | _ERRORS | {"Branches"},
    "Map": _COMMON | _FLOW | _RESULT | _ERRORS | {"Iterator", "ItemProcessor", "ItemsPath",
        "ItemSelector", "MaxConcurrency", "MaxConcurrencyPath"},
}  # fmt: skip
# Valid ASL this interpreter does not run: rejected loudly rather than run differently.
UNSUPPORTED = {
    "QueryLanguage": "JSONata query language",
    "Assign": "variables (Assign)",
    "Arguments": "JSONata Arguments",
    "Output": "JSONata Output",
    "ItemReader": "distributed Map (ItemReader)",
    "ItemBatcher": "distributed Map (ItemBatcher)",
    "ResultWriter": "distributed Map (ResultWriter)",
    "ToleratedFailurePercentage": "distributed Map (ToleratedFailurePercentage)",
    "ToleratedFailureCount": "distributed Map (ToleratedFailureCount)",
    "Label": "distributed Map (Label)",
}
_WAIT_FIELDS = ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")
# AWS accepts an intrinsic function where a Fail state names its error or cause.
_INTRINSIC_PATH_FIELDS = frozenset({"ErrorPath", "CausePath"})
_PATH_FIELDS = ("InputPath", "OutputPath", "ResultPath", "ItemsPath", "SecondsPath",
                "TimestampPath", "ErrorPath", "CausePath", "TimeoutSecondsPath")  # fmt: skip


@dataclass(frozen=True)
class StateMachine:
    """A validated definition; `children` holds Parallel branches and Map processors."""

    start_at: str
    states: Mapping[str, Mapping[str, Any]]
    timeout_seconds: int | None = None
    definition: Mapping[str, Any] = field(default_factory=dict, repr=False)
    children: Mapping[str, tuple[StateMachine, ...]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any] | str) -> StateMachine:
        if isinstance(definition, str):
            try:
                definition = json.loads(definition)
            except json.JSONDecodeError as exc:
                raise InvalidDefinitionError([f"INVALID_JSON_DESCRIPTION: {exc}"]) from None
        problems: list[str] = []
        machine = _build(definition, "", problems)
        if problems or machine is None:
            raise InvalidDefinitionError(problems)
        return machine


def _build(definition: Any, where: str, problems: list[str]) -> StateMachine | None:
    if not isinstance(definition, Mapping):
        problems.append(f"SCHEMA_VALIDATION_FAILED: a state machine must be an object at {where}/")
        return None
    states = definition.get("States")
    start_at = definition.get("StartAt")
    if not isinstance(states, Mapping) or not states:
        problems.append(f"SCHEMA_VALIDATION_FAILED: 'States' must be a non-empty object at {where}")
        return None
    if not isinstance(start_at, str):
        problems.append(f"SCHEMA_VALIDATION_FAILED: 'StartAt' is required at {where}")
        return None
    if "QueryLanguage" in definition and definition["QueryLanguage"] != "JSONPath":
        problems.append(f"UNSUPPORTED_FEATURE: the JSONata query language is not supported by "
                        f"the local interpreter at {where}/QueryLanguage")  # fmt: skip
    if start_at not in states:
        problems.append(f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {start_at} "
                        f"at {where}/StartAt")  # fmt: skip
    children: dict[str, tuple[StateMachine, ...]] = {}
    for name, spec in states.items():
        at = f"{where}/States/{name}"
        if not isinstance(spec, Mapping):
            problems.append(f"SCHEMA_VALIDATION_FAILED: a state must be an object at {at}")
            continue
        kind = spec.get("Type")
        if kind not in FIELDS:
            problems.append(f"SCHEMA_VALIDATION_FAILED: Value is not a valid state type: "
                            f"{kind!r} at {at}/Type")  # fmt: skip
            continue
        _check_fields(kind, spec, at, problems)
        _check_state(name, kind, spec, states, at, problems)
        subs = (
            spec.get("Branches", [])
            if kind == "Parallel"
            else ([spec.get("ItemProcessor", spec.get("Iterator"))] if kind == "Map" else [])
        )
        built = [_build(sub, f"{at}/{i}", problems) for i, sub in enumerate(subs)]
        children[name] = tuple(b for b in built if b is not None)
    _check_reachable(start_at, states, where, problems)
    timeout = definition.get("TimeoutSeconds")
    return StateMachine(start_at, states, timeout, definition, children)


def _check_fields(kind: str, spec: Mapping[str, Any], at: str, problems: list[str]) -> None:
    for unknown in sorted(set(spec) - FIELDS[kind]):
        if unknown == "QueryLanguage" and spec[unknown] == "JSONPath":
            continue
        if unknown in UNSUPPORTED:
            problems.append(
                f"UNSUPPORTED_FEATURE: {UNSUPPORTED[unknown]} is valid ASL but not supported "
                f"by the local interpreter at {at}/{unknown}"
            )
        else:
            problems.append(f"SCHEMA_VALIDATION_FAILED: Field '{unknown}' is not supported at {at}")
    processor = spec.get("ItemProcessor")
    config = processor.get("ProcessorConfig") if isinstance(processor, Mapping) else None
    if isinstance(config, Mapping) and config.get("Mode", "INLINE") != "INLINE":
        problems.append(
            f"UNSUPPORTED_FEATURE: distributed Map is not supported by the local interpreter "
            f"at {at}/ItemProcessor"
        )


def _targets(spec: Mapping[str, Any]) -> list[str]:
    out = [spec["Next"]] if isinstance(spec.get("Next"), str) else []
    if spec.get("Type") == "Choice":
        out += [r.get("Next") for r in spec.get("Choices", []) if isinstance(r, Mapping)]
        out += [spec["Default"]] if "Default" in spec else []
    out += [c.get("Next") for c in spec.get("Catch", []) if isinstance(c, Mapping)]
    return [t for t in out if isinstance(t, str)]


def _check_reachable(
    start: str, states: Mapping[str, Any], where: str, problems: list[str]
) -> None:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in states or not isinstance(states[name], Mapping):
            continue
        seen.add(name)
        todo.extend(_targets(states[name]))
    for name in states:
        if name not in seen:
            problems.append(f"UNREACHABLE_STATE: State \"{name}\" is not reachable. "
                            f"at {where}/States/{name}")  # fmt: skip


def _check_state(
    name: str,
    kind: str,
    spec: Mapping[str, Any],
    states: Mapping[str, Any],
    at: str,
    problems: list[str],
) -> None:
    terminal = kind in ("Succeed", "Fail", "Choice")
    has_next, has_end = "Next" in spec, spec.get("End") is True
    if not terminal and has_next == has_end:
        problems.append(f"SCHEMA_VALIDATION_FAILED: exactly one of 'Next' or 'End' is "
                        f"required at {at}")  # fmt: skip
    for target in _targets(spec):
        if target not in states:
            problems.append(f"MISSING_TRANSITION_TARGET: Missing 'Next' target: {target} at {at}")
    if kind == "Task" and not isinstance(spec.get("Resource"), str):
        problems.append(f"SCHEMA_VALIDATION_FAILED: 'Resource' is required at {at}")
    if kind == "Wait" and sum(f in spec for f in _WAIT_FIELDS) != 1:
        problems.append(f"SCHEMA_VALIDATION_FAILED: a Wait state needs exactly one of "
                        f"{', '.join(_WAIT_FIELDS)} at {at}")  # fmt: skip
    if kind == "Fail":
        for a, b in (("Error", "ErrorPath"), ("Cause", "CausePath")):
            if a in spec and b in spec:
                problems.append(f"SCHEMA_VALIDATION_FAILED: {a} and {b} are exclusive at {at}")
    if kind == "Choice":
        rules = spec.get("Choices")
        if not isinstance(rules, list) or not rules:
            problems.append(
                f"SCHEMA_VALIDATION_FAILED: 'Choices' must be a non-empty array at {at}"
            )
        else:
            for i, rule in enumerate(rules):
                _check_rule(rule, f"{at}/Choices/{i}", problems, top=True)
    if kind == "Parallel" and (not isinstance(spec.get("Branches"), list) or not spec["Branches"]):
        problems.append(f"SCHEMA_VALIDATION_FAILED: 'Branches' must be a non-empty array at {at}")
    if kind == "Map" and ("ItemProcessor" in spec) == ("Iterator" in spec):
        problems.append(f"SCHEMA_VALIDATION_FAILED: a Map needs one of ItemProcessor or "
                        f"Iterator at {at}")  # fmt: skip
    _check_paths(spec, at, problems)
    _check_retry_catch(spec, at, problems)


def _check_rule(rule: Any, at: str, problems: list[str], top: bool) -> None:
    if not isinstance(rule, Mapping):
        problems.append(f"SCHEMA_VALIDATION_FAILED: a choice rule must be an object at {at}")
        return
    if top and "Next" not in rule:
        problems.append(f"SCHEMA_VALIDATION_FAILED: a choice rule needs 'Next' at {at}")
    for combinator in ("And", "Or"):
        if combinator in rule:
            for i, sub in enumerate(rule[combinator]):
                _check_rule(sub, f"{at}/{combinator}/{i}", problems, top=False)
            return
    if "Not" in rule:
        _check_rule(rule["Not"], f"{at}/Not", problems, top=False)
        return
    ops = [k for k in rule if k in choice.COMPARISONS or k in choice.TYPE_TESTS]
    if len(ops) != 1 or "Variable" not in rule:
        problems.append(f"SCHEMA_VALIDATION_FAILED: a choice rule needs a Variable and exactly "
                        f"one comparison operator at {at}")  # fmt: skip


def _check_paths(spec: Mapping[str, Any], at: str, problems: list[str]) -> None:
    try:
        for name in _PATH_FIELDS:
            value = spec.get(name)
            if not isinstance(value, str):
                continue
            if name in _INTRINSIC_PATH_FIELDS and intrinsics.is_intrinsic(value):
                intrinsics.parse(value)
            else:
                jsonpath.parse(value)
        for name in ("Parameters", "ResultSelector", "ItemSelector"):
            _check_template(spec.get(name))
    except StatesError as exc:
        problems.append(f"SCHEMA_VALIDATION_FAILED: {exc} at {at}")


def _check_template(template: Any) -> None:
    if isinstance(template, Mapping):
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                if intrinsics.is_intrinsic(value):
                    intrinsics.parse(value)
                else:
                    jsonpath.parse(value)
            else:
                _check_template(value)
    elif isinstance(template, list):
        for item in template:
            _check_template(item)


def _check_retry_catch(spec: Mapping[str, Any], at: str, problems: list[str]) -> None:
    for field_name in ("Retry", "Catch"):
        items = spec.get(field_name, [])
        for i, item in enumerate(items):
            where = f"{at}/{field_name}/{i}"
            errors = item.get("ErrorEquals") if isinstance(item, Mapping) else None
            if not isinstance(errors, list) or not errors:
                problems.append(f"SCHEMA_VALIDATION_FAILED: 'ErrorEquals' must be a non-empty "
                                f"array at {where}")  # fmt: skip
                continue
            if "States.ALL" in errors and (len(errors) != 1 or i != len(items) - 1):
                problems.append(f"SCHEMA_VALIDATION_FAILED: States.ALL must appear alone and "
                                f"in the last {field_name} element at {where}")  # fmt: skip
            if field_name == "Retry":
                _check_retrier(item, where, problems)
            elif "Next" not in item:
                problems.append(f"SCHEMA_VALIDATION_FAILED: a catcher needs 'Next' at {where}")


def _check_retrier(item: Mapping[str, Any], at: str, problems: list[str]) -> None:
    interval = item.get("IntervalSeconds", 1)
    attempts = item.get("MaxAttempts", 3)
    backoff = item.get("BackoffRate", 2.0)
    if not isinstance(interval, int) or interval < 1:
        problems.append(f"SCHEMA_VALIDATION_FAILED: IntervalSeconds must be a positive integer "
                        f"at {at}")  # fmt: skip
    if not isinstance(attempts, int) or attempts < 0:
        problems.append(f"SCHEMA_VALIDATION_FAILED: MaxAttempts must be >= 0 at {at}")
    if not isinstance(backoff, int | float) or backoff < 1.0:
        problems.append(f"SCHEMA_VALIDATION_FAILED: BackoffRate must be >= 1.0 at {at}")
    if item.get("JitterStrategy", "NONE") not in ("NONE", "FULL"):
        problems.append(f"SCHEMA_VALIDATION_FAILED: JitterStrategy must be NONE or FULL at {at}")
