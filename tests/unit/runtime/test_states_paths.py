"""Path semantics: JSONPath selection (definite vs indefinite), reference paths for
ResultPath, and the InputPath → Parameters → ResultSelector → ResultPath → OutputPath chain."""

from __future__ import annotations

from typing import Any

import pytest

from coderev.runtime.states import Interpreter, InvalidDefinitionError, StateMachine
from coderev.runtime.states import jsonpath as jp
from coderev.runtime.states.errors import ResultPathMatchFailure, RuntimeFailure
from coderev.runtime.states.payload import apply_result_path, render, select_path

DATA = {"a": {"b": [10, 20, 30], "c": "x"}, "items": [{"id": 1, "ok": True}, {"id": 2}]}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.a.c", "x"),
        ("$.a.b[1]", 20),
        ("$.a.b[-1]", 30),
        ("$['a']['c']", "x"),
        ('$["a"].b[0]', 10),
        ("$.items[1].id", 2),
        ("$.items[*].id", [1, 2]),
        ("$.a.b[0:2]", [10, 20]),
        ("$.a.b[0,2]", [10, 30]),
        ("$..id", [1, 2]),
        ("$.items[?(@.ok == true)].id", [1]),
        ("$.items[?(@.ok)]", [{"id": 1, "ok": True}]),
        ("$.items[?(@.id > 1)].id", [2]),
        ("$.a.*", [[10, 20, 30], "x"]),
    ],
)
def test_select(path: str, expected: Any) -> None:
    assert jp.select(jp.parse(path), DATA) == expected


def test_definite_path_that_misses_raises_and_indefinite_gives_empty_list() -> None:
    with pytest.raises(jp.PathNotFoundError):
        jp.select(jp.parse("$.a.nope"), DATA)
    with pytest.raises(jp.PathNotFoundError):
        jp.select(jp.parse("$.a.b[7]"), DATA)
    assert jp.select(jp.parse("$.items[*].nope"), DATA) == []


def test_context_paths_and_normalized_form() -> None:
    path = jp.parse("$$.Execution.Name")
    assert path.context and path.definite
    assert jp.parse("$.a.b[1]").normalized() == "$['a']['b'][1]"


@pytest.mark.parametrize("bad", ["a.b", "$.a[", "$.a[x]", "$.a..", "$ .a"])
def test_syntax_errors(bad: str) -> None:
    with pytest.raises(jp.PathSyntaxError):
        jp.parse(bad)


def test_assign_creates_nested_objects_and_never_mutates_input() -> None:
    original = {"a": 1}
    out = jp.assign(jp.parse("$.x.y.z"), original, 5)
    assert out == {"a": 1, "x": {"y": {"z": 5}}}
    assert original == {"a": 1}
    assert jp.assign(jp.parse("$.l[1]"), {"l": [0, 0]}, 9) == {"l": [0, 9]}
    assert jp.assign(jp.parse("$"), {"a": 1}, [1]) == [1]


def test_assign_into_a_scalar_or_a_missing_index_fails() -> None:
    with pytest.raises(jp.PathNotFoundError):
        jp.assign(jp.parse("$.a.b"), {"a": 3}, 1)
    with pytest.raises(jp.PathNotFoundError):
        jp.assign(jp.parse("$.l[5]"), {"l": []}, 1)
    with pytest.raises(jp.PathSyntaxError):
        jp.assign(jp.parse("$.l[*]"), {"l": []}, 1)


def test_result_path_null_keeps_input_and_absent_replaces_it() -> None:
    assert apply_result_path({"ResultPath": None}, {"a": 1}, "r") == {"a": 1}
    assert apply_result_path({}, {"a": 1}, "r") == "r"
    with pytest.raises(ResultPathMatchFailure):
        apply_result_path({"ResultPath": "$.a.b"}, {"a": "scalar"}, "r")


def test_input_and_output_path_null_give_empty_object_and_missing_is_runtime() -> None:
    assert select_path({"InputPath": None}, "InputPath", {"a": 1}, {}) == {}
    with pytest.raises(RuntimeFailure, match=r"Invalid path '\$.x' : No results for path: "):
        select_path({"InputPath": "$.x"}, "InputPath", {"a": 1}, {})


def test_render_template_with_paths_context_and_intrinsics() -> None:
    template = {"plain": [1, {"k.$": "$.v"}], "v.$": "$.v", "n.$": "$$.Execution.Name",
                "f.$": "States.Format('<{}>', $.v)", "keep.$$": "literal key"}  # fmt: skip
    out = render(template, {"v": "x"}, {"Execution": {"Name": "run-1"}})
    assert out == {"plain": [1, {"k": "x"}], "v": "x", "n": "run-1", "f": "<x>",
                   "keep.$$": "literal key"}  # fmt: skip


def test_render_missing_path_is_runtime_with_aws_message() -> None:
    with pytest.raises(RuntimeFailure) as info:
        render({"x.$": "$.nope"}, {"a": 1}, {})
    assert info.value.cause == (
        "The JSONPath '$.nope' specified for the field 'x.$' could not be found in the "
        "input '{\"a\":1}'"
    )


def test_full_chain_in_order_on_a_task() -> None:
    class Echo:
        def invoke(self, resource: str, payload: Any, context: Any) -> Any:
            return {"echo": payload, "meta": "drop"}

    machine = StateMachine.from_definition({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f",
        "InputPath": "$.in", "Parameters": {"v.$": "$.v", "const": 1},
        "ResultSelector": {"got.$": "$.echo"}, "ResultPath": "$.in.result",
        "OutputPath": "$.in", "End": True}}})  # fmt: skip
    execution = Interpreter(Echo()).start(machine, {"in": {"v": 7}, "other": 1})
    assert execution.output == {"v": 7, "result": {"got": {"v": 7, "const": 1}}}


def test_runtime_failure_cause_names_the_state_and_entered_event() -> None:
    machine = StateMachine.from_definition(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"},
                                    "B": {"Type": "Pass", "InputPath": "$.x", "End": True}}}
    )  # fmt: skip
    execution = Interpreter().start(machine, {})
    assert execution.error == "States.Runtime"
    assert execution.cause is not None
    assert execution.cause.startswith(
        "An error occurred while executing the state 'B' (entered at the event id #4). "
    )


def _run(definition: dict[str, Any], data: Any) -> Any:
    return Interpreter().start(StateMachine.from_definition(definition), data)


def test_path_fields_read_the_context_object_as_aws_does() -> None:
    inner = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    states = {
        "Out": {"Type": "Pass", "Result": 1, "OutputPath": "$$.Execution.Input", "Next": "In"},
        "In": {"Type": "Pass", "InputPath": "$$.Execution.Input.a", "Next": "Items"},
        "Items": {"Type": "Map", "ItemsPath": "$$.Execution.Input.items",
                  "ItemProcessor": inner, "End": True},
    }  # fmt: skip
    execution = _run({"StartAt": "Out", "States": states}, {"a": {"b": 1}, "items": [1, 2]})
    assert (execution.status.value, execution.output) == ("SUCCEEDED", [1, 2])


def test_a_fail_state_may_build_its_error_and_cause_with_intrinsic_functions() -> None:
    definition = {"StartAt": "F", "States": {"F": {
        "Type": "Fail",
        "ErrorPath": "States.Format('Http.{}', $.status)",
        "CausePath": "States.Format('{} failed: {}', $$.State.Name, $$.Execution.Input.why)",
    }}}  # fmt: skip
    execution = _run(definition, {"status": 503, "why": "upstream down"})
    assert (execution.error, execution.cause) == ("Http.503", "F failed: upstream down")


def test_a_malformed_intrinsic_in_error_path_is_refused_with_the_definition() -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "ErrorPath": "States.Format("}}}
    with pytest.raises(InvalidDefinitionError, match="SCHEMA_VALIDATION_FAILED"):
        StateMachine.from_definition(definition)


def test_an_intrinsic_is_not_a_path_in_fields_that_take_only_paths() -> None:
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Pass", "InputPath": "States.Format('x')", "End": True}}}  # fmt: skip
    with pytest.raises(InvalidDefinitionError, match="a path must start with"):
        StateMachine.from_definition(definition)
