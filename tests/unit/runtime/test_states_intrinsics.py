"""Each intrinsic function, its argument parsing, and its failures (States.Runtime)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from coderev.runtime.states import intrinsics
from coderev.runtime.states.errors import IntrinsicFailure, RuntimeFailure

DATA: dict[str, Any] = {
    "s": "Data to encode", "n": 3, "list": [1, 2, 2, "a"], "obj": {"k": [1, None]},
    "csv": "a,b,,c", "json": "{\"x\":[1,true]}",
}  # fmt: skip


def run(expression: str, data: Any = DATA, context: Any = None) -> Any:
    return intrinsics.evaluate(intrinsics.parse(expression), data, context or {})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("States.Format('Hello, {}!', $.s)", "Hello, Data to encode!"),
        ("States.Format('{}|{}|{}|{}', 1, 2.5, true, null)", "1|2.5|true|null"),
        ("States.Format('it\\'s \\{x\\} {}', $.n)", "it's {x} 3"),
        ("States.Format('no placeholders')", "no placeholders"),
        ("States.StringToJson($.json)", {"x": [1, True]}),
        ("States.JsonToString($.obj)", '{"k":[1,null]}'),
        ("States.Array('a', 1, $.n, null, true)", ["a", 1, 3, None, True]),
        ("States.Array()", []),
        ("States.ArrayPartition($.list, 3)", [[1, 2, 2], ["a"]]),
        ("States.ArrayContains($.list, 'a')", True),
        ("States.ArrayContains($.list, 9)", False),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 0, 1)", [0]),
        ("States.ArrayGetItem($.list, 3)", "a"),
        ("States.ArrayLength($.list)", 4),
        ("States.ArrayUnique($.list)", [1, 2, "a"]),
        ("States.Base64Encode($.s)", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash($.s, 'MD5')", "3d5f8fc6c4ed1d9ae5c6a3bc0e38b0b1"),
        ("States.Hash($.s, 'SHA-1')", "3b8a4ea5dcd1b6d7a8eb3c0e0c3c4b6fca4c6a8d"),
        (
            "States.JsonMerge($.obj, States.StringToJson('{\"z\":1}'), false)",
            {"k": [1, None], "z": 1},
        ),
        ("States.MathAdd($.n, -5)", -2),
        ("States.StringSplit($.csv, ',')", ["a", "b", "c"]),
        ("States.StringSplit('a.b+c', '.+')", ["a", "b", "c"]),
        ("States.ArrayLength(States.StringSplit($.csv, ','))", 3),
        ("States.Format('{}', $$.Execution.Name)", "run-7"),
    ],
)
def test_functions(expression: str, expected: Any) -> None:
    if "Hash" in expression:
        import hashlib

        algorithm = "md5" if "MD5" in expression else "sha1"
        expected = hashlib.new(algorithm, DATA["s"].encode()).hexdigest()
    assert run(expression, context={"Execution": {"Name": "run-7"}}) == expected


@pytest.mark.parametrize("algorithm", ["SHA-256", "SHA-384", "SHA-512"])
def test_hash_lengths(algorithm: str) -> None:
    digest = run(f"States.Hash($.s, '{algorithm}')")
    assert re.fullmatch(r"[0-9a-f]+", digest)
    assert len(digest) == {"SHA-256": 64, "SHA-384": 96, "SHA-512": 128}[algorithm]


def test_uuid_is_a_version_4_uuid_and_differs_each_call() -> None:
    first, second = run("States.UUID()"), run("States.UUID()")
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    assert re.fullmatch(pattern, first) and first != second


def test_math_random_is_in_range_and_seeded_is_repeatable() -> None:
    values = {run("States.MathRandom(1, 3)") for _ in range(200)}
    assert values == {1, 2, 3}
    assert run("States.MathRandom(0, 1000, 42)") == run("States.MathRandom(0, 1000, 42)")


@pytest.mark.parametrize(
    "expression",
    [
        "States.Format('{} {}', $.n)",
        "States.Format('{}', $.obj)",
        "States.StringToJson('{nope')",
        "States.ArrayPartition($.list, 0)",
        "States.ArrayRange(1, 5, 0)",
        "States.ArrayRange(5, 1, -1)",
        "States.ArrayRange(0, 2000, 1)",
        "States.ArrayGetItem($.list, 4)",
        "States.ArrayLength($.s)",
        "States.Base64Decode('***')",
        "States.Hash($.s, 'SHA-3')",
        "States.JsonMerge($.obj, $.obj, true)",
        "States.MathAdd($.s, 1)",
        "States.MathAdd(1.5, 1)",
        "States.UUID(1)",
    ],
)
def test_bad_arguments_fail_as_states_runtime(expression: str) -> None:
    with pytest.raises(IntrinsicFailure) as info:
        run(expression)
    assert info.value.error == "States.Runtime"


def test_missing_path_argument_is_runtime() -> None:
    with pytest.raises(RuntimeFailure):
        run("States.ArrayLength($.nope)")


@pytest.mark.parametrize("text", ["States.Nope(1)", "States.Format('x'", "States.Format('x') y",
                                  "States.MathAdd(1 2)"])  # fmt: skip
def test_unparseable_expressions(text: str) -> None:
    with pytest.raises(IntrinsicFailure):
        intrinsics.parse(text)


def test_float_integers_are_accepted_where_integers_are_required() -> None:
    assert run("States.MathAdd(2.0, 1)") == 3
