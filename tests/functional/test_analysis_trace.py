"""One analysis is one whole trace: the platform of the real template.yaml in this process,
its spans kept by OpenTelemetry's in-memory exporter. A presigned upload over HTTP starts it;
the trace must hold that request as its only root, every span's parent inside the trace, a
span per state the execution entered (its history says which), per Map iteration and per
Task invocation, and reach the Kafka consumer of the `analysis.completed` event it published.
The same platform's `GET /metrics` then counts what happened."""

from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from tests.functional.conftest import ROOT
from tests.functional.test_serve import sample_archive

from coderev.telemetry import tracing

BACKENDS = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT", "NEO4J_URI")


def call(url: str, method: str = "GET", body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, bytes]:  # fmt: skip
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.read()


def spans_named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One analysis on an in-process platform with tracing to memory."""
    from coderev import bootstrap
    from coderev.runtime.platform.serve import build_platform

    exporter = InMemorySpanExporter()
    with pytest.MonkeyPatch.context() as patch:
        for name in BACKENDS:
            patch.delenv(name, raising=False)
        patch.setenv("CODEREV_DATA_DIR", str(tmp_path_factory.mktemp("trace") / "data"))
        bootstrap.reset()
        tracing.configure(exporter)
        platform = build_platform(ROOT / "template.yaml", port=0)
        platform.start()
        try:
            url = platform.url
            _, body = call(f"{url}/analyses/uploads?filename=shop.tar.gz", "POST")
            ticket = json.loads(body)
            upload = ticket["upload"]
            call(upload["url"], "PUT", sample_archive(),
                 {**upload["headers"], "Content-Type": "application/gzip"})  # fmt: skip
            record = _follow(f"{url}{ticket['status_url']}")
            _wait_for(exporter, "kafka coderev.analysis.completed")
            _, scraped = call(f"{url}/metrics")
            (machine,) = [m.spec for m in platform.machines.values() if "Analysis" in m.spec.name]
            arn = machine.arn.replace(":stateMachine:", ":execution:", 1) + f":{record['id']}"
            execution = platform.interpreter.describe(arn)
        finally:
            platform.stop(60)
            tracing.configure(environ={})  # off again for the other tests of this process
            bootstrap.reset()
    yield {"record": record, "spans": list(exporter.get_finished_spans()),
           "execution": execution, "metrics": scraped.decode()}  # fmt: skip


def _follow(status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        record = json.loads(call(status_url)[1])
        if record["status"] not in ("QUEUED", "RUNNING"):
            return dict(record)
        time.sleep(0.1)
    raise AssertionError(f"{status_url} did not end")


def _wait_for(exporter: InMemorySpanExporter, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if spans_named(list(exporter.get_finished_spans()), name):
            return
        time.sleep(0.05)
    raise AssertionError(f"no span {name!r} within {timeout}s")


def analysis_trace(analysed: dict[str, Any]) -> list[ReadableSpan]:
    (upload,) = spans_named(analysed["spans"], "HTTP PUT /_objects/{key+}")
    trace_id = upload.context.trace_id
    return [s for s in analysed["spans"] if s.context.trace_id == trace_id]


def test_the_analysis_succeeded(analysed: dict[str, Any]) -> None:
    assert analysed["record"]["status"] == "SUCCEEDED", analysed["record"]


def test_the_trace_is_one_tree_rooted_at_the_upload_request(analysed: dict[str, Any]) -> None:
    spans = analysis_trace(analysed)
    ids = {s.context.span_id for s in spans}
    roots = [s for s in spans if s.parent is None]
    assert [s.name for s in roots] == ["HTTP PUT /_objects/{key+}"]
    orphans = [s.name for s in spans if s.parent is not None and s.parent.span_id not in ids]
    assert orphans == []
    assert len(ids) == len(spans)


def test_ingest_runs_under_the_notification_and_starts_the_execution(
    analysed: dict[str, Any],
) -> None:
    spans = analysis_trace(analysed)
    by_id = {s.context.span_id: s for s in spans}

    def parent(span: ReadableSpan) -> str:
        assert span.parent is not None
        return by_id[span.parent.span_id].name

    (notification,) = spans_named(spans, "s3 ObjectCreated:Put")
    (ingest,) = spans_named(spans, "invoke IngestFunction")
    (execution,) = [s for s in spans if s.name.startswith("execution ")]
    assert parent(notification) == "HTTP PUT /_objects/{key+}"
    assert parent(ingest) == "s3 ObjectCreated:Put"
    assert parent(execution) == "invoke IngestFunction"
    assert ingest.attributes is not None
    assert execution.attributes and execution.attributes["coderev.status"] == "SUCCEEDED"
    carried = analysed["execution"].input[tracing.TRACE_KEY]["traceparent"]
    assert carried.split("-")[1] == format(execution.context.trace_id, "032x")


def test_every_state_map_iteration_and_task_has_its_span(analysed: dict[str, Any]) -> None:
    spans = analysis_trace(analysed)
    history = analysed["execution"].events()
    entered = Counter(e.details["name"] for e in history if e.type.endswith("StateEntered"))
    states = Counter(s.name.removeprefix("state ") for s in spans if s.name.startswith("state "))
    assert states == entered
    iterations = sum(1 for e in history if e.type == "MapIterationStarted")
    assert iterations >= 1
    assert len([s for s in spans if s.name.startswith("map iteration ")]) == iterations
    tasks = sum(1 for e in history if e.type == "TaskScheduled")
    invoked = [s for s in spans if s.name.startswith("invoke ")]
    invoked = [s for s in invoked if s.name != "invoke IngestFunction"]
    consumers = {k.context.span_id for k in spans if k.name.startswith("kafka ")}
    kafka_invocations = [s for s in invoked if s.parent and s.parent.span_id in consumers]
    assert len(invoked) - len(kafka_invocations) == tasks
    by_id = {s.context.span_id: s for s in spans}
    for span in invoked:
        if span in kafka_invocations:
            continue
        assert span.parent is not None
        assert by_id[span.parent.span_id].name.startswith("state "), span.name


def test_the_published_event_carries_the_trace_to_its_consumer(analysed: dict[str, Any]) -> None:
    spans = analysis_trace(analysed)
    (consumed,) = spans_named(spans, "kafka coderev.analysis.completed")
    children = [s.name for s in spans if s.parent and s.parent.span_id == consumed.context.span_id]
    assert children == ["invoke AuditSinkFunction"]


def test_metrics_count_the_analysis(analysed: dict[str, Any]) -> None:
    text = analysed["metrics"]
    lines = text.splitlines()

    def value(prefix: str) -> float:
        found = [float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix)]
        assert found, prefix
        return sum(found)

    assert value('coderev_analyses_total{status="SUCCEEDED"}') == 1
    assert value('coderev_analysis_duration_seconds_count{status="SUCCEEDED"}') == 1
    assert value("coderev_analysis_findings_count") == 1
    assert value('coderev_function_invocations_total{function="IngestFunction"}') >= 1
    assert value('coderev_http_requests_total{method="PUT",route="/_objects/{key+}"') == 1
    assert value('coderev_state_transitions_total{state="AnalyzeShard"') >= 1
    assert value("coderev_executions_total{") >= 1
    assert value("coderev_db_query_duration_seconds_count{") > 0
    assert "coderev_queue_depth{" in text


def test_tracing_off_imports_no_opentelemetry_in_a_handler() -> None:
    from tests.unit.conftest import modules_loaded_by

    loaded = modules_loaded_by(
        "coderev.telemetry, coderev.service.observability",
        ("opentelemetry", "opentelemetry.sdk", "prometheus_client"),
    )
    assert loaded == []


def test_log_lines_carry_the_trace_and_span_ids(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from coderev.telemetry.logs import json_log_handler

    exporter = InMemorySpanExporter()
    tracing.configure(exporter)
    logger = logging.getLogger("coderev.test_trace_logs")
    logger.addHandler(json_log_handler())
    logger.propagate = False
    try:
        with tracing.span("work") as span:
            logger.warning("inside")
        assert span is not None
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        tracing.configure(environ={})
    assert line["message"] == "inside"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


def test_a_handler_called_alone_continues_the_trace_its_event_carries(tmp_path: Path) -> None:
    from coderev.service.observability import traced

    exporter = InMemorySpanExporter()
    tracing.configure(exporter)
    try:

        @traced
        def handler(event: dict[str, Any], context: Any) -> str:
            return "done"

        parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        assert handler({"headers": {"traceparent": parent}}, None) == "done"
    finally:
        tracing.configure(environ={})
    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    assert span.parent is not None and format(span.parent.span_id, "016x") == "b7ad6b7169203331"
