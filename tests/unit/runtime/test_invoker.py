"""The in-process invoker: Lambda's payload and error shapes, timeouts, async retries, DLQ."""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

from coderev.runtime.errors import (
    FunctionNotFoundError,
    FunctionThrottledError,
    InvalidEventError,
    InvokerClosedError,
)
from coderev.runtime.invoker import LocalInvoker
from coderev.runtime.invoker.environment import EnvironmentGate
from coderev.runtime.invoker.lambda_context import LambdaContext
from coderev.runtime.invoker.threads import HandlerThreads
from coderev.runtime.template import load_template

TEMPLATE = Path(__file__).parents[2] / "fixtures" / "templates" / "invoker.yaml"
FAILURES_ARN = "arn:aws:sqs:us-east-1:123456789012:coderev-Failures"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def invoker(sleeps):
    with LocalInvoker(load_template(TEMPLATE), delay_scale=0.001, sleep=sleeps.append) as local:
        yield local


def test_a_successful_invocation_returns_the_payload_and_a_lambda_context(invoker):
    first = invoker.invoke("EchoFunction", {"hello": ("w", "o")})
    assert first.ok and first.status_code == 200 and first.function_error is None
    assert first.payload["event"] == {"hello": ["w", "o"]}
    assert first.payload["function_name"] == "coderev-EchoFunction"
    assert first.payload["request_id"] == first.request_id
    assert first.payload["memory"] == 512
    assert 1000 < first.payload["remaining_ms"] <= 2000
    assert first.cold_start and first.init_duration_ms is not None
    second = invoker.invoke("EchoFunction", {})
    assert not second.cold_start
    assert second.payload["log_stream"] == first.payload["log_stream"]
    assert "[$LATEST]" in first.payload["log_stream"]
    stats = invoker.stats("EchoFunction")
    assert (stats.invocations, stats.cold_starts, stats.errors) == (2, 1, 0)


def test_a_function_error_is_returned_as_lambda_serialises_it(invoker):
    result = invoker.invoke("coderev-behaviours", {"action": "fail", "message": "over budget"})
    assert not result.ok and result.function_error == "Unhandled"
    assert result.payload["errorType"] == "QuotaExceededError"
    assert result.payload["errorMessage"] == "over budget"
    assert result.payload["requestId"] == result.request_id
    trace = result.payload["stackTrace"]
    assert trace and all(isinstance(line, str) for line in trace)
    assert "behaviours/app.py" in trace[-1] and "raise QuotaExceededError" in trace[-1]
    assert "invoker.py" not in "".join(trace)
    assert invoker.stats("BehavioursFunction").errors == 1


def test_functions_are_invoked_by_arn_as_the_state_machine_does(invoker):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:coderev-behaviours"
    assert invoker.invoke(arn, {"key": "arn"}).payload == {"attempts": 1}
    assert invoker.invoke(f"{arn}:$LATEST", {"key": "arn"}).payload == {"attempts": 2}
    with pytest.raises(FunctionNotFoundError):
        invoker.invoke("arn:aws:lambda:us-east-1:123456789012:function:absent", {})


def test_a_handler_exceeding_its_timeout_times_out_and_the_next_start_is_cold(invoker):
    started = time.monotonic()
    result = invoker.invoke("BehavioursFunction", {"action": "sleep", "seconds": 1.6})
    assert time.monotonic() - started < 1.5
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in result.payload["errorMessage"]
    assert invoker.stats("BehavioursFunction").timeouts == 1
    after = invoker.invoke("BehavioursFunction", {"action": "imports"})
    assert after.cold_start and after.payload == 1


def test_results_that_are_not_json_are_marshal_errors(invoker):
    result = invoker.invoke("BehavioursFunction", {"action": "unserialisable"})
    assert result.payload["errorType"] == "Runtime.MarshalError"
    with pytest.raises(InvalidEventError):
        invoker.invoke("EchoFunction", {"not json": {1, 2}})


def test_import_failures_are_lambda_runtime_errors(invoker):
    broken = invoker.invoke("BrokenFunction", {})
    assert broken.payload["errorType"] == "Runtime.ImportModuleError"
    assert "module_that_does_not_exist" in broken.payload["errorMessage"]
    missing = invoker.invoke("MissingAttributeFunction", {})
    assert missing.payload["errorType"] == "Runtime.HandlerNotFound"
    assert "does_not_exist" in missing.payload["errorMessage"]


def test_environment_is_applied_around_the_invocation_and_restored(invoker, monkeypatch):
    monkeypatch.setenv("STAGE", "outer")
    monkeypatch.delenv("ONLY_BEHAVIOURS", raising=False)
    names = ["STAGE", "SHARED", "ONLY_BEHAVIOURS", "AWS_LAMBDA_FUNCTION_NAME",
             "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_REGION", "_HANDLER"]
    result = invoker.invoke("BehavioursFunction", {"action": "env", "names": names})
    assert result.payload == {
        "STAGE": "behaviours-stage", "SHARED": "from-globals", "ONLY_BEHAVIOURS": "1",
        "AWS_LAMBDA_FUNCTION_NAME": "coderev-behaviours",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128", "AWS_REGION": "us-east-1",
        "_HANDLER": "app.lambda_handler",
    }
    assert os.environ["STAGE"] == "outer"
    assert "ONLY_BEHAVIOURS" not in os.environ
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ


def test_concurrent_invocations_of_different_functions_each_see_their_own_environment(invoker):
    event = {"action": "env", "names": ["STAGE"], "seconds": 0.2}
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(invoker.invoke, "BehavioursFunction", event),
                   pool.submit(invoker.invoke, "EchoFunction", {}),
                   pool.submit(invoker.invoke, "BehavioursFunction", event),
                   pool.submit(invoker.invoke, "EchoFunction", {})]
        results = [future.result(10) for future in futures]
    assert results[0].payload == results[2].payload == {"STAGE": "behaviours-stage"}
    assert results[1].payload["stage"] == results[3].payload["stage"] == "echo-stage"


def test_async_failures_are_retried_then_dead_lettered(invoker, sleeps):
    accepted = invoker.invoke_async("BehavioursFunction", {"action": "fail", "key": "dlq"})
    final = accepted.result(10)
    assert final.attempts == 3 and final.error_type == "QuotaExceededError"
    assert sleeps == pytest.approx([0.06, 0.12])
    queue = invoker.dead_letters("Failures")
    assert queue is invoker.dead_letters("BehavioursFunction")
    assert queue is invoker.dead_letters(FAILURES_ARN)
    (letter,) = queue.messages()
    assert letter.event == {"action": "fail", "key": "dlq"}
    assert letter.request_id == accepted.request_id
    assert (letter.attempts, letter.error_type) == (3, "QuotaExceededError")
    assert letter.message_attributes() == {"RequestID": accepted.request_id,
                                           "ErrorCode": "200", "ErrorMessage": "quota exceeded"}
    record = letter.on_failure_record()
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == letter.event
    assert queue.receive() == [letter] and len(queue) == 0


def test_an_async_retry_that_succeeds_sends_nothing_to_the_dead_letter_queue(invoker):
    event = {"action": "fail_until", "succeed_on": 2, "key": "flaky"}
    final = invoker.invoke_async("BehavioursFunction", event).result(10)
    assert final.ok and final.attempts == 2 and final.payload == {"attempts": 2}
    assert len(invoker.dead_letters("Failures")) == 0


def test_maximum_retry_attempts_zero_and_no_target_discards_after_one_attempt(invoker):
    final = invoker.invoke_async("NoRetryFunction", {"action": "fail"}).result(10)
    assert final.attempts == 1
    assert invoker.dead_letters("NoRetryFunction") is invoker.discarded
    assert invoker.discarded.wait_for(1, timeout=1)


def test_events_older_than_the_maximum_age_are_not_retried():
    clock = FakeClock()
    with LocalInvoker(TEMPLATE, sleep=lambda seconds: clock.advance(30_000),
                      clock=clock) as local:
        final = local.invoke_async("BehavioursFunction", {"action": "fail"}).result(10)
        assert final.attempts == 1
        assert local.dead_letters("Failures").messages()[0].attempts == 1


def test_invocation_types_event_and_dry_run(invoker):
    accepted = invoker.invoke("BehavioursFunction", {"key": "evt"}, invocation_type="Event")
    assert (accepted.status_code, accepted.payload) == (202, None)
    assert invoker.invoke("EchoFunction", {}, invocation_type="DryRun").status_code == 204
    with pytest.raises(ValueError, match="unknown invocation type"):
        invoker.invoke("EchoFunction", {}, invocation_type="Later")


def test_reserved_concurrency_throttles_synchronous_calls(invoker, tmp_path):
    flag = tmp_path / "started"
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoker.invoke, "SingleFunction",
                           {"action": "sleep", "seconds": 0.5, "started_flag": str(flag)})
        deadline = time.monotonic() + 5
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(FunctionThrottledError, match="reserved concurrency 1"):
            invoker.invoke("SingleFunction", {})
        assert busy.result(5).ok
    assert invoker.stats("SingleFunction").throttles == 1
    assert invoker.invoke("SingleFunction", {}).ok


def test_a_closed_invoker_accepts_no_asynchronous_work():
    local = LocalInvoker(TEMPLATE)
    local.close()
    with pytest.raises(InvokerClosedError):
        local.invoke_async("EchoFunction", {})


def test_base_dir_reroots_code_uris(tmp_path):
    code = tmp_path / "functions" / "echo"
    code.mkdir(parents=True)
    (code / "app.py").write_text("def lambda_handler(event, context):\n    return 'rerooted'\n")
    with LocalInvoker(TEMPLATE, base_dir=tmp_path / "templates") as local:
        assert local.invoke("EchoFunction", {}).payload == "rerooted"


def test_a_nested_invocation_from_a_handler_thread_does_not_wait_for_its_turn(monkeypatch):
    monkeypatch.delenv("GATE_TEST", raising=False)
    gate = EnvironmentGate()
    seen: list[str | None] = []
    blocked = threading.Event()

    def nested() -> None:
        gate.mark_inside()
        with gate.turn("B", {"GATE_TEST": "b"}):
            seen.append(os.environ.get("GATE_TEST"))
        seen.append(os.environ.get("GATE_TEST"))

    def outsider() -> None:
        with gate.turn("C", {"GATE_TEST": "c"}):
            seen.append(os.environ.get("GATE_TEST"))
        blocked.set()

    with gate.turn("A", {"GATE_TEST": "a"}):
        thread = threading.Thread(target=nested)
        thread.start()
        thread.join(2)
        waiting = threading.Thread(target=outsider)
        waiting.start()
        assert not blocked.wait(0.2)
        assert gate.owner == frozenset({("GATE_TEST", "a")})
    waiting.join(2)
    assert seen == ["b", "a", "c"]
    assert "GATE_TEST" not in os.environ


def test_functions_whose_variables_agree_bar_lambdas_own_share_a_turn(monkeypatch):
    """The analysis steps declare the same variables (the template's Globals): a Parallel's
    Ruff branch runs beside the Map's AnalyzeShard iterations, not after them. Each sees its
    own function name in its environment; os.environ holds the opener's."""
    monkeypatch.delenv("GATE_TEST", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    gate = EnvironmentGate()
    both_inside = threading.Barrier(2, timeout=2)
    seen: dict[str, tuple[str, str | None]] = {}

    def invoke(name: str, stage: str) -> None:
        variables = {"GATE_TEST": stage, "AWS_LAMBDA_FUNCTION_NAME": name, "_HANDLER": name}
        with gate.turn(name, variables) as environ:
            both_inside.wait()  # raises BrokenBarrierError if the other never got in
            seen[name] = (environ["AWS_LAMBDA_FUNCTION_NAME"], os.environ.get("GATE_TEST"))

    with gate.turn("Shard", {"GATE_TEST": "s", "AWS_LAMBDA_FUNCTION_NAME": "shard"}):
        ruff = threading.Thread(target=invoke, args=("ruff", "s"))
        ruff.start()
        invoke("index", "s")
        ruff.join(2)
        assert os.environ["AWS_LAMBDA_FUNCTION_NAME"] == "shard"
    assert seen == {"ruff": ("ruff", "s"), "index": ("index", "s")}
    assert "AWS_LAMBDA_FUNCTION_NAME" not in os.environ and "GATE_TEST" not in os.environ

    other = threading.Event()  # other variables still wait for the turn to end

    def outsider() -> None:
        with gate.turn("Echo", {"GATE_TEST": "e"}):
            other.set()

    with gate.turn("Shard", {"GATE_TEST": "s"}):
        waiting = threading.Thread(target=outsider)
        waiting.start()
        assert not other.wait(0.2)
    waiting.join(2)
    assert other.is_set()


def test_handler_threads_are_reused_and_a_stuck_one_blocks_nothing():
    threads = HandlerThreads(idle_seconds=5)
    release = threading.Event()
    threads.run(lambda: release.wait(5))
    names: list[str] = []
    for _ in range(3):
        done = threading.Event()
        threads.run(lambda done=done: (names.append(threading.current_thread().name),
                                       done.set()))
        assert done.wait(2)
        time.sleep(0.01)
    assert len(set(names)) == 1 and threads.idle == 1
    release.set()


def test_idle_handler_threads_leave():
    threads = HandlerThreads(idle_seconds=0.05)
    done = threading.Event()
    threads.run(done.set)
    assert done.wait(2)
    deadline = time.monotonic() + 2
    while threads.idle and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threads.idle == 0


def test_the_context_counts_down_from_the_timeout():
    clock = FakeClock()
    context = LambdaContext.for_invocation(
        function_name="f", invoked_function_arn="arn:aws:lambda:us-east-1:1:function:f",
        memory_limit_in_mb=256, timeout_seconds=3, clock=clock)
    assert context.get_remaining_time_in_millis() == 3000
    clock.advance(1.25)
    assert context.get_remaining_time_in_millis() == 1750
    clock.advance(5)
    assert context.get_remaining_time_in_millis() == 0
    assert context.function_version == "$LATEST"
    assert context.log_group_name == "/aws/lambda/f"
    assert "[$LATEST]" in context.log_stream_name
    assert context.identity is None and context.client_context is None
    model = build_lambda_context_model(context)
    assert (model.function_name, model.function_memory_size) == ("f", 256)


def test_a_timed_out_handler_is_stopped_its_cleanup_runs_and_cpu_returns_to_idle(invoker,
                                                                                 tmp_path):
    flag = tmp_path / "cleaned"
    before = {t.ident for t in threading.enumerate()}
    result = invoker.invoke("BehavioursFunction",
                            {"action": "spin", "key": "stop-me", "cleaned_flag": str(flag)})
    assert result.payload["errorType"] == "Sandbox.Timedout"
    deadline = time.monotonic() + 5
    # the file exists from its open() on: wait for what the clean-up writes, not for the name
    while (not flag.exists() or flag.read_text() != "cleaned") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.read_text() == "cleaned"  # its finally ran: the loop was stopped, not left
    time.sleep(0.2)
    cpu = time.process_time()
    time.sleep(0.5)
    assert time.process_time() - cpu < 0.1  # nothing of it is still spinning
    spinning = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
                and t.name.startswith("lambda-handler")]
    assert spinning == []  # the stopped thread retired rather than idling on
    after = invoker.invoke("BehavioursFunction", {"action": "imports"})
    assert after.ok and after.cold_start


def test_a_stopped_handler_thread_is_never_reused_and_the_pool_keeps_serving():
    threads = HandlerThreads(idle_seconds=5)
    started = threading.Event()
    running = threads.run(lambda: (started.set(), [None for _ in iter(int, 1)]))
    assert started.wait(2)
    running.stop(KeyboardInterrupt, interval=0.1)
    assert running.ended.wait(3)
    names = []
    for _ in range(3):
        done = threading.Event()
        threads.run(lambda done=done: (names.append(threading.current_thread().name),
                                       done.set()))
        assert done.wait(2)
    assert names and all(name != "lambda-handler-1" for name in names)
