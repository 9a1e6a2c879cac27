"""coderev's ASL interpreter against moto's (a port of LocalStack's), on the whole corpus:
same final status, output and, for failures, error and cause."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.differential.corpus import (
    CAUSE_NOT_COMPARED,
    CORPUS_DIR,
    INPUTS,
    KNOWN_MOTO_DEVIATIONS,
    cases,
    load,
)
from tests.differential.engines import Engines, Outcome, run_ours

from coderev.runtime.states import Interpreter, StateMachine

CASES = cases()


@pytest.mark.parametrize(("name", "index", "value"), CASES, ids=[f"{n}[{i}]" for n, i, _ in CASES])
def test_agrees_with_moto(engines: Engines, interpreter: Interpreter, name: str, index: int,
                          value: Any) -> None:  # fmt: skip
    definition = load(name)
    execution_name = f"{name}-{index}"
    ours = run_ours(definition, value, name, execution_name, interpreter).normalized()
    moto = engines.moto.run(definition, value, name, execution_name).normalized()
    deviation = KNOWN_MOTO_DEVIATIONS.get((name, index))
    if deviation is not None:
        for field, expected in deviation.aws.items():
            assert getattr(ours, field) == expected, (field, ours)
        for field, observed in deviation.moto.items():
            assert getattr(moto, field) == observed, ("moto changed:", field, moto)
        return
    if name in CAUSE_NOT_COMPARED:
        ours, moto = (
            Outcome(ours.status, ours.output, ours.error, None),
            Outcome(moto.status, moto.output, moto.error, None),
        )
    assert ours == moto
    if '"Map"' not in json.dumps(definition) and '"Parallel"' not in json.dumps(definition):
        # Without concurrency, both engines must also have walked the same states in order.
        assert ours.entered == moto.entered


def test_corpus_covers_every_state_type_and_intrinsic() -> None:
    text = "\n".join(p.read_text() for p in CORPUS_DIR.glob("*.asl.json"))
    kinds = {"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}
    assert all(f'"Type": "{kind}"' in text for kind in kinds)
    functions = ["Format", "StringToJson", "JsonToString", "Array(", "ArrayPartition",
                 "ArrayContains", "ArrayRange", "ArrayGetItem", "ArrayLength", "ArrayUnique",
                 "Base64Encode", "Base64Decode", "Hash", "JsonMerge", "MathRandom", "MathAdd",
                 "StringSplit", "UUID"]  # fmt: skip
    assert [f for f in functions if f"States.{f}" not in text] == []
    for field in ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath",
                  "ItemSelector", "Iterator", "ItemProcessor", "MaxConcurrency", "Retry",
                  "Catch", "ErrorPath", "CausePath", "SecondsPath", "TimestampPath"):  # fmt: skip
        assert f'"{field}"' in text, field
    assert len(INPUTS) >= 30


def test_every_corpus_machine_validates() -> None:
    for path in sorted(CORPUS_DIR.glob("*.asl.json")):
        StateMachine.from_definition(json.loads(path.read_text()))


def test_corpus_uses_every_intrinsic_in_every_field_that_takes_one() -> None:
    """Each intrinsic appears in each payload template kind and in a Fail's ErrorPath/CausePath."""
    templates = load("intrinsics_in_every_template_field")["States"]
    fields = {
        "Pass Parameters": templates["PassParameters"]["Parameters"],
        "Task ResultSelector": templates["TaskParameters"]["ResultSelector"],
        "Parallel Parameters": templates["ParallelParameters"]["Parameters"],
        "Map ItemSelector": templates["MapItemSelector"]["ItemSelector"],
    }
    functions = ["Format", "StringToJson", "JsonToString", "Array(", "ArrayPartition",
                 "ArrayContains", "ArrayRange", "ArrayGetItem", "ArrayLength", "ArrayUnique",
                 "Base64Encode", "Base64Decode", "Hash", "JsonMerge", "MathRandom", "MathAdd",
                 "StringSplit", "UUID"]  # fmt: skip
    for where, template in fields.items():
        text = json.dumps(template)
        assert [f for f in functions if f"States.{f}" not in text] == [], where
    fails = load("fail_intrinsic_error_cause_paths")["States"]
    causes = json.dumps([s["Branches"][0]["States"]["F"]["CausePath"] for s in fails.values()
                         if s["Type"] == "Parallel"])  # fmt: skip
    assert [f for f in functions if f"States.{f}" not in causes] == []


def test_corpus_reads_every_context_object_path() -> None:
    text = "\n".join(p.read_text() for p in CORPUS_DIR.glob("*.asl.json"))
    paths = ["$$.Execution.Id", "$$.Execution.Input", "$$.Execution.Name", "$$.Execution.RoleArn",
             "$$.Execution.StartTime", "$$.State.Name", "$$.State.EnteredTime",
             "$$.StateMachine.Id", "$$.StateMachine.Name", "$$.Map.Item.Index",
             "$$.Map.Item.Value"]  # fmt: skip
    assert [p for p in paths if p not in text] == []
    for field in ("InputPath", "OutputPath", "ItemsPath", "SecondsPath", "TimestampPath",
                  "MaxConcurrencyPath", "Variable", "ErrorPath", "CausePath"):  # fmt: skip
        assert f'"{field}": "$$.' in text or f'"{field}": "States.' in text, field
