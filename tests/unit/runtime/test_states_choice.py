"""Choice rule semantics: every comparison operator, type tests, combinators, wildcards."""

from __future__ import annotations

from typing import Any

import pytest

from coderev.runtime.states.choice import matches, parse_timestamp, string_matches
from coderev.runtime.states.errors import RuntimeFailure

DATA = {"s": "beta", "n": 5, "f": 2.5, "b": True, "t": "2024-05-01T12:00:00Z", "z": None,
        "other_s": "beta", "other_n": 7, "flag": True,
        "other_t": "2024-05-01T13:00:00+01:00"}  # fmt: skip


def rule(op: str, value: Any, variable: str = "$.s") -> dict[str, Any]:
    return {"Variable": variable, op: value}


@pytest.mark.parametrize(
    ("r", "expected"),
    [
        (rule("StringEquals", "beta"), True),
        (rule("StringEquals", "Beta"), False),
        (rule("StringLessThan", "gamma"), True),
        (rule("StringGreaterThan", "alpha"), True),
        (rule("StringLessThanEquals", "beta"), True),
        (rule("StringGreaterThanEquals", "c"), False),
        (rule("StringEqualsPath", "$.other_s"), True),
        (rule("StringLessThanPath", "$.other_s"), False),
        (rule("StringGreaterThanPath", "$.other_s"), False),
        (rule("StringLessThanEqualsPath", "$.other_s"), True),
        (rule("StringGreaterThanEqualsPath", "$.other_s"), True),
        (rule("StringMatches", "b*a"), True),
        (rule("NumericEquals", 5, "$.n"), True),
        (rule("NumericEquals", 5.0, "$.n"), True),
        (rule("NumericLessThan", 3, "$.f"), True),
        (rule("NumericGreaterThan", 5, "$.n"), False),
        (rule("NumericLessThanEquals", 5, "$.n"), True),
        (rule("NumericGreaterThanEquals", 6, "$.n"), False),
        (rule("NumericEqualsPath", "$.other_n", "$.n"), False),
        (rule("NumericLessThanPath", "$.other_n", "$.n"), True),
        (rule("NumericGreaterThanPath", "$.f", "$.n"), True),
        (rule("NumericLessThanEqualsPath", "$.n", "$.n"), True),
        (rule("NumericGreaterThanEqualsPath", "$.other_n", "$.n"), False),
        (rule("BooleanEquals", True, "$.b"), True),
        (rule("BooleanEqualsPath", "$.flag", "$.b"), True),
        (rule("TimestampEquals", "2024-05-01T12:00:00Z", "$.t"), True),
        (rule("TimestampEqualsPath", "$.other_t", "$.t"), True),
        (rule("TimestampLessThan", "2024-05-02T00:00:00Z", "$.t"), True),
        (rule("TimestampGreaterThan", "2024-05-02T00:00:00Z", "$.t"), False),
        (rule("TimestampLessThanEquals", "2024-05-01T12:00:00Z", "$.t"), True),
        (rule("TimestampGreaterThanEquals", "2024-05-01T12:00:01Z", "$.t"), False),
        (rule("TimestampLessThanPath", "$.other_t", "$.t"), False),
        (rule("TimestampGreaterThanPath", "$.other_t", "$.t"), False),
        (rule("TimestampLessThanEqualsPath", "$.other_t", "$.t"), True),
        (rule("TimestampGreaterThanEqualsPath", "$.other_t", "$.t"), True),
        # Wrong types are simply false, never an error.
        (rule("NumericEquals", 5, "$.s"), False),
        (rule("StringEquals", "5", "$.n"), False),
        (rule("BooleanEquals", True, "$.n"), False),
        (rule("NumericEquals", 1, "$.b"), False),
        (rule("TimestampEquals", "2024-05-01T12:00:00Z", "$.s"), False),
        (rule("StringMatches", "*", "$.n"), False),
    ],
)
def test_comparisons(r: dict[str, Any], expected: bool) -> None:
    assert matches(r, DATA, {}) is expected


@pytest.mark.parametrize(
    ("variable", "test", "expected"),
    [
        ("$.z", "IsNull", True), ("$.s", "IsNull", False),
        ("$.s", "IsPresent", True), ("$.nope", "IsPresent", False),
        ("$.nope", "IsPresent", True),
        ("$.n", "IsNumeric", True), ("$.b", "IsNumeric", False),
        ("$.s", "IsString", True), ("$.n", "IsString", False),
        ("$.b", "IsBoolean", True), ("$.n", "IsBoolean", False),
        ("$.t", "IsTimestamp", True), ("$.s", "IsTimestamp", False),
        ("$.nope", "IsString", False), ("$.nope", "IsNull", False),
    ],
)  # fmt: skip
def test_type_tests(variable: str, test: str, expected: bool) -> None:
    value = not (variable == "$.nope" and test == "IsPresent" and expected)
    outcome = matches({"Variable": variable, test: value}, DATA, {})
    assert outcome is expected


def test_is_false_tests_invert() -> None:
    assert matches({"Variable": "$.n", "IsString": False}, DATA, {})
    assert not matches({"Variable": "$.z", "IsNull": False}, DATA, {})


def test_and_or_not_nest() -> None:
    yes, no = rule("StringEquals", "beta"), rule("StringEquals", "x")
    assert matches({"And": [yes, {"Not": no}]}, DATA, {})
    assert not matches({"And": [yes, no]}, DATA, {})
    assert matches({"Or": [no, {"And": [yes, yes]}]}, DATA, {})
    assert not matches({"Not": {"Or": [yes, no]}}, DATA, {})


def test_missing_variable_is_runtime_and_context_variables_work() -> None:
    with pytest.raises(RuntimeFailure):
        matches(rule("StringEquals", "x", "$.nope"), DATA, {})
    assert matches(rule("StringEquals", "run", "$$.Execution.Name"), DATA,
                   {"Execution": {"Name": "run"}})  # fmt: skip


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("log-1.txt", "log-*.txt", True), ("log-1.txt", "*.csv", False),
        ("a*b", "a\\*b", True), ("axb", "a\\*b", False), ("a\\b", "a\\\\b", True),
        ("", "*", True), ("abc", "abc", True), ("a.c", "a.c", True), ("abc", "a.c", False),
        ("multi\nline", "multi*", True),
    ],
)  # fmt: skip
def test_string_matches_wildcards_and_escapes(value: str, pattern: str, expected: bool) -> None:
    assert string_matches(value, pattern) is expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2024-01-01T00:00:00Z", True), ("2024-01-01T00:00:00.123Z", True),
     ("2024-01-01T00:00:00+05:30", True), ("2024-01-01", False), ("2024-13-01T00:00:00Z", False),
     ("2024-01-01 00:00:00Z", False), (5, False)],
)  # fmt: skip
def test_timestamps_are_rfc3339(text: Any, ok: bool) -> None:
    assert (parse_timestamp(text) is not None) is ok
