"""Definition validation: what CreateStateMachine would reject is rejected, with its code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from coderev.runtime.states import InvalidDefinitionError, StateMachine


def machine(**states: Any) -> dict[str, Any]:
    return {"StartAt": next(iter(states)), "States": states}


PASS_END = {"Type": "Pass", "End": True}


@pytest.mark.parametrize(
    ("definition", "code"),
    [
        (machine(A={"Type": "Passs", "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Pass"}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Pass", "Next": "B", "End": True}, B=PASS_END),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Pass", "Next": "Nowhere"}), "MISSING_TRANSITION_TARGET"),
        ({"StartAt": "Z", "States": {"A": PASS_END}}, "MISSING_TRANSITION_TARGET"),
        (machine(A=PASS_END, Orphan=PASS_END), "UNREACHABLE_STATE"),
        (machine(A={"Type": "Pass", "Bogus": 1, "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Succeed", "Next": "A"}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Wait", "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Choice", "Choices": []}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "B"}]}, B=PASS_END),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True}]}),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Choice", "Choices": [
            {"Variable": "$.a", "IsNull": True, "Next": "Gone"}]}), "MISSING_TRANSITION_TARGET"),
        (machine(A={"Type": "Parallel", "Branches": [], "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass"}}}]}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Map", "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Retry": [{"ErrorEquals": ["States.ALL", "X"]}]}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]}),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Retry": [{"ErrorEquals": ["X"], "IntervalSeconds": 0}]}),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}),
         "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Catch": [{"ErrorEquals": ["X"]}]}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Task", "Resource": "r", "End": True,
                    "Catch": [{"ErrorEquals": [], "Next": "A"}]}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Pass", "InputPath": "nope", "End": True}), "SCHEMA_VALIDATION_FAILED"),
        (machine(A={"Type": "Pass", "Parameters": {"x.$": "States.Nope()"}, "End": True}),
         "SCHEMA_VALIDATION_FAILED"),
        ({"States": {"A": PASS_END}}, "SCHEMA_VALIDATION_FAILED"),
        ({"StartAt": "A", "States": {}}, "SCHEMA_VALIDATION_FAILED"),
        ("{not json", "INVALID_JSON_DESCRIPTION"),
    ],
)  # fmt: skip
def test_rejected(definition: Any, code: str) -> None:
    with pytest.raises(InvalidDefinitionError) as info:
        StateMachine.from_definition(definition)
    assert any(p.startswith(code) for p in info.value.problems), info.value.problems


def test_all_problems_are_reported_together_with_their_location() -> None:
    definition = machine(A={"Type": "Pass", "Next": "Nowhere"}, B={"Type": "Nope"})
    with pytest.raises(InvalidDefinitionError) as info:
        StateMachine.from_definition(definition)
    text = str(info.value)
    assert "Missing 'Next' target: Nowhere at /States/A" in text
    assert "/States/B/Type" in text
    assert 'State "B" is not reachable' in text


def test_a_string_definition_and_catch_targets_count_as_reachable() -> None:
    definition = machine(
        A={"Type": "Task", "Resource": "r", "End": True,
           "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handler"}]},
        Handler={"Type": "Fail", "Error": "Handled"},
    )  # fmt: skip
    built = StateMachine.from_definition(json.dumps(definition))
    assert built.start_at == "A" and set(built.states) == {"A", "Handler"}


def test_nested_machines_are_validated_and_kept() -> None:
    definition = machine(M={"Type": "Map", "End": True, "ItemProcessor": machine(I=PASS_END)},
                         P={"Type": "Parallel", "End": True,
                            "Branches": [machine(X=PASS_END), machine(Y=PASS_END)]})  # fmt: skip
    definition["States"]["M"]["Next"] = "P"
    del definition["States"]["M"]["End"]
    built = StateMachine.from_definition(definition)
    assert [m.start_at for m in built.children["P"]] == ["X", "Y"]
    assert built.children["M"][0].start_at == "I"


@pytest.mark.parametrize(
    "definition",
    [
        {"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": PASS_END}},
        machine(A={"Type": "Pass", "Assign": {"x": 1}, "End": True}),
        machine(A={"Type": "Map", "End": True, "ItemReader": {}, "ItemProcessor": machine(
            I=PASS_END)}),
        machine(A={"Type": "Map", "End": True, "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED"}, **machine(I=PASS_END)}}),
    ],
)  # fmt: skip
def test_valid_asl_the_interpreter_does_not_run_is_rejected_as_unsupported(
    definition: dict[str, Any],
) -> None:
    with pytest.raises(InvalidDefinitionError) as info:
        StateMachine.from_definition(definition)
    assert any(p.startswith("UNSUPPORTED_FEATURE") for p in info.value.problems)


def test_explicit_jsonpath_query_language_and_inline_map_are_accepted() -> None:
    StateMachine.from_definition(
        machine(A={"Type": "Map", "End": True, "QueryLanguage": "JSONPath", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"}, **machine(I=PASS_END)}})
    )  # fmt: skip
