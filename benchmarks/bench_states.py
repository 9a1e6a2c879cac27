"""Per-state overhead of coderev's ASL interpreter against moto's, measured in the same run.

Two machines: a chain of 200 Pass states (each with Parameters and a ResultPath) and a Map
over 100 items (each iteration one Pass state). Each runs `--repeat` times on both engines;
the median wall time per execution, divided by the number of states entered, is the
per-state overhead. moto runs executions on a worker thread behind the boto3 API, so its
figure includes polling DescribeExecution every millisecond (the way a client observes it).

    python benchmarks/bench_states.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import time
from collections.abc import Callable
from typing import Any

import boto3
from moto import mock_aws

from coderev.runtime.states import Interpreter, StateMachine

ROLE = "arn:aws:iam::123456789012:role/bench"


def pass_chain(length: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for i in range(length):
        state: dict[str, Any] = {"Type": "Pass", "Parameters": {"step": i, "prev.$": "$.value"},
                                 "ResultPath": "$.last"}  # fmt: skip
        state |= {"End": True} if i == length - 1 else {"Next": f"S{i + 1}"}
        states[f"S{i}"] = state
    return {"StartAt": "S0", "States": states}


def map_machine() -> dict[str, Any]:
    return {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": {"v.$": "$"}, "End": True}}}}}}  # fmt: skip


def median_seconds(run: Callable[[], None], repeat: int) -> float:
    run()  # warm-up: imports, parser caches
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def ours(definition: dict[str, Any], data: Any) -> Callable[[], None]:
    machine = StateMachine.from_definition(definition)
    interpreter = Interpreter(max_workers=1)

    def run() -> None:
        execution = interpreter.start(machine, data)
        assert execution.status.value == "SUCCEEDED", execution.error

    return run


def moto(client: Any, definition: dict[str, Any], data: Any, name: str) -> Callable[[], None]:
    arn = client.create_state_machine(name=name, definition=json.dumps(definition),
                                      roleArn=ROLE)["stateMachineArn"]  # fmt: skip
    counter = iter(range(1_000_000))

    def run() -> None:
        execution = client.start_execution(
            stateMachineArn=arn, name=f"{name}-{next(counter)}", input=json.dumps(data)
        )["executionArn"]
        while (status := client.describe_execution(executionArn=execution)["status"]) == "RUNNING":
            time.sleep(0.001)
        assert status == "SUCCEEDED", status

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    cases = [
        ("pass chain x200", pass_chain(200), {"value": 1}, 200),
        ("map over 100 items", map_machine(), {"items": list(range(100))}, 101),
    ]
    config = {"stepfunctions": {"execute_state_machine": True}}
    with mock_aws(config=config):  # type: ignore[call-overload]
        client = boto3.client("stepfunctions", region_name="us-east-1")
        print(f"{'machine':<20} {'states':>6} {'coderev µs/state':>17} {'moto µs/state':>14} "
              f"{'moto/coderev':>12}")  # fmt: skip
        for index, (label, definition, data, states) in enumerate(cases):
            mine = median_seconds(ours(definition, data), args.repeat) / states
            theirs = median_seconds(moto(client, definition, data, f"bench{index}"), args.repeat)
            theirs /= states
            print(f"{label:<20} {states:>6} {mine * 1e6:>17.1f} {theirs * 1e6:>14.1f} "
                  f"{theirs / mine:>11.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
