"""The differential corpus: tests/fixtures/asl/<name>.asl.json, each run on the inputs
listed for it in inputs.json, by moto and by coderev's interpreter.

Where moto's port disagrees with the AWS specification the interpreter keeps AWS
semantics; those cases are listed in KNOWN_MOTO_DEVIATIONS with the reason, the outcome
AWS specifies (asserted for our interpreter) and moto's observed status/error (asserted
too, so the note goes stale loudly if moto changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE.parent / "fixtures" / "asl"
INPUTS: dict[str, list[Any]] = json.loads((HERE / "inputs.json").read_text())


@dataclass(frozen=True)
class Deviation:
    reason: str
    aws: dict[str, Any]  # status, output, error (and cause when given) per the AWS spec
    moto: dict[str, Any]  # status and error as moto reports them


KNOWN_MOTO_DEVIATIONS: dict[tuple[str, int], Deviation] = {
    ("choice_no_match", 0): Deviation(
        "AWS fails a Choice with no matching rule and no Default with States.NoChoiceMatched; "
        "moto raises a Python RuntimeError reported as States.Runtime.",
        {"status": "FAILED", "error": "States.NoChoiceMatched", "cause": "No Matches! at state C"},
        {"status": "FAILED", "error": "States.Runtime"},
    ),
    ("runtime_error_not_caught", 0): Deviation(
        "AWS: States.Runtime errors are not retriable and a Catch on States.ALL does not "
        "catch them; moto catches them.",
        {"status": "FAILED", "error": "States.Runtime"},
        {"status": "SUCCEEDED", "error": None},
    ),
    ("intrinsic_format_escapes", 0): Deviation(
        "AWS accepts \\' \\{ \\} and \\\\ escapes in intrinsic string literals; moto's "
        "ANTLR grammar fails to tokenize them and truncates the literal.",
        {"status": "SUCCEEDED", "output": {"escaped": "it's {literal} ada"}, "error": None},
        {"status": "SUCCEEDED", "error": None},
    ),
    ("jsonpath_selectors", 0): Deviation(
        "A definite path through an index ($.items[2].id) yields the value in AWS (Jayway "
        "JsonPath); moto wraps it in a list (its fix for moto issue 7825, unlike LocalStack).",
        {"status": "SUCCEEDED", "error": None, "output": {
            "ids": [1, 2, 3], "first": {"id": 1, "ok": True}, "last": 3, "bracket": 1,
            "slice": [{"id": 1, "ok": True}, {"id": 2, "ok": False}]}},
        {"status": "SUCCEEDED", "error": None},
    ),
    ("result_path_match_failure", 0): Deviation(
        "AWS fails with States.ResultPathMatchFailure when ResultPath cannot be applied to "
        "the input; moto reports the Python TypeError as States.Runtime.",
        {"status": "FAILED", "error": "States.ResultPathMatchFailure",
         "cause": "Unable to apply ResultPath '$.a.b' to input '{\"a\":\"scalar\"}'"},
        {"status": "FAILED", "error": "States.Runtime"},
    ),
    ("result_path_match_failure_caught", 0): Deviation(
        "States.ResultPathMatchFailure is catchable in AWS; moto fails the execution with the "
        "error name 'Exception' instead.",
        {"status": "SUCCEEDED", "output": "States.ResultPathMatchFailure", "error": None},
        {"status": "FAILED", "error": "Exception"},
    ),
    ("intrinsic_array_unique_objects", 0): Deviation(
        "States.ArrayUnique takes any JSON array; moto puts items in a set and fails with "
        "TypeError(unhashable type: 'dict').",
        {"status": "SUCCEEDED", "error": None,
         "output": {"unique": [{"k": 1}, [1], 1, True]}},
        {"status": "FAILED", "error": "States.Runtime"},
    ),
    ("wait_timestamp_path_context", 0): Deviation(
        "AWS reads $$.Execution.StartTime, an ISO 8601 timestamp, as a Wait's TimestampPath; "
        "moto hands its own datetime object to the timestamp parser and fails with TypeError.",
        {"status": "SUCCEEDED", "output": {"waited": "go"}, "error": None},
        {"status": "FAILED", "error": "States.Runtime"},
    ),
    ("choice_context_timestamps", 0): Deviation(
        "AWS's context object holds $$.Execution.StartTime and $$.State.EnteredTime as ISO 8601 "
        "strings, so IsTimestamp is true, and a ...Path comparison may name a context path; "
        "moto keeps datetime objects there (IsTimestamp is false) and fails StringEqualsPath "
        "on a $$ path.",
        {"status": "SUCCEEDED", "output": "yes", "error": None},
        {"status": "SUCCEEDED", "output": "no", "error": None},
    ),
}  # fmt: skip

# Cases whose status, output and error agree but whose cause text does not: moto reports
# the Python exception repr of an intrinsic's failure, AWS a located message.
CAUSE_NOT_COMPARED: dict[str, str] = {
    "intrinsic_errors": "moto's cause is a Python exception repr (e.g. IndexError(...))",
}


def load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CORPUS_DIR / f"{name}.asl.json").read_text())
    return loaded


def cases() -> list[tuple[str, int, Any]]:
    on_disk = {p.name.removesuffix(".asl.json") for p in CORPUS_DIR.glob("*.asl.json")}
    missing = on_disk ^ set(INPUTS)
    if missing:
        raise LookupError(f"corpus files and inputs.json disagree on: {sorted(missing)}")
    return [(name, i, value) for name, values in sorted(INPUTS.items())
            for i, value in enumerate(values)]  # fmt: skip
