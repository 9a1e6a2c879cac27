"""Router.call in the trace and the metrics: one `ai.route` span, a `chat <model>` child per
model call with its tokens (a failed call marked an error), and every attempt counted by
outcome with its tokens and cost in the Prometheus registry."""

from __future__ import annotations

import prometheus_client
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from tests.unit.routing.fakes import reply
from tests.unit.routing.test_call import Setup

from coderev.domain.errors import ProviderUnavailable
from coderev.telemetry import metrics, tracing


def sample(name: str, **labels: str) -> float:
    return prometheus_client.REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_fallback_call_is_one_route_span_with_a_chat_span_per_model_call() -> None:
    metrics.use_prometheus()
    before_ok = sample("coderev_ai_calls_total", provider="anthropic", model="claude-std",
                       outcome="ok")  # fmt: skip
    before_failed = sample("coderev_ai_calls_total", provider="openai", model="gpt-std",
                           outcome="ProviderUnavailable")  # fmt: skip
    before_tokens = sample("coderev_ai_tokens_total", provider="anthropic", model="claude-std",
                           direction="output")  # fmt: skip
    exporter = InMemorySpanExporter()
    tracing.configure(exporter)
    try:
        s = Setup([ProviderUnavailable("500", status=500)],
                  [reply('{"comments": []}', tokens=(1200, 300))])  # fmt: skip
        with tracing.span("review chunk"):
            result = s.call()
    finally:
        tracing.configure(environ={})
    assert result.ok
    spans = {span.name: span for span in exporter.get_finished_spans()}
    route, failed, answered = spans["ai.route"], spans["chat gpt-std"], spans["chat claude-std"]
    outer = spans["review chunk"]
    assert route.parent is not None and route.parent.span_id == outer.context.span_id
    assert failed.parent is not None and failed.parent.span_id == route.context.span_id
    assert answered.parent is not None and answered.parent.span_id == route.context.span_id
    assert failed.status.status_code is StatusCode.ERROR
    assert answered.attributes is not None
    assert answered.attributes["gen_ai.system"] == "anthropic"
    assert answered.attributes["gen_ai.usage.output_tokens"] == 300
    assert sample("coderev_ai_calls_total", provider="anthropic", model="claude-std",
                  outcome="ok") == before_ok + 1  # fmt: skip
    assert sample("coderev_ai_calls_total", provider="openai", model="gpt-std",
                  outcome="ProviderUnavailable") == before_failed + 1  # fmt: skip
    assert sample("coderev_ai_tokens_total", provider="anthropic", model="claude-std",
                  direction="output") == before_tokens + 300  # fmt: skip
    assert sample("coderev_ai_cost_usd_total", provider="anthropic", model="claude-std") > 0
