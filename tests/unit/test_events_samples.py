"""Every events/*.json is accepted by the model its handler parses it with, and every
function of template.yaml has a sample (`sam local invoke -e events/<name>.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import KafkaEvent, S3Event
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequest,
    APIGatewayProxyEventModel,
    EventBridgeModel,
    KafkaSelfManagedEventModel,
    S3Model,
)

from coderev.audit.model import AuditEntry
from coderev.comparison.models import ComparisonRequest
from coderev.promotion.errors import InvalidPromotionTaskError
from coderev.promotion.tasks import PromotionTask
from coderev.quotas.models import QuotaCheckRequest
from coderev.routing.preview import RoutePreviewRequest
from coderev.runtime.template import KafkaEvent as KafkaTrigger
from coderev.runtime.template import load_template
from coderev.service.task_inputs import (
    AnalysisTask,
    ChunkTask,
    FailedTask,
    InvalidTaskInputError,
    MergeReviewTask,
    ReviewTask,
    ShardTask,
)

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))


class QuotaCheckEvent:
    """quota_check takes an API Gateway proxy event whose body is the check, or the check
    itself (invoke)."""

    @staticmethod
    def from_event(event: dict[str, Any]) -> QuotaCheckRequest:
        if "httpMethod" in event:
            body = APIGatewayProxyEventModel.model_validate(event).body
            return QuotaCheckRequest.model_validate_json(str(body))
        return QuotaCheckRequest.model_validate(event)


class RouteEvent:
    """model_router takes an API Gateway proxy event whose body is the task, or the task
    itself (invoke)."""

    @staticmethod
    def from_event(event: dict[str, Any]) -> RoutePreviewRequest:
        if "httpMethod" in event:
            body = APIGatewayProxyEventModel.model_validate(event).body
            return RoutePreviewRequest.model_validate_json(str(body))
        return RoutePreviewRequest.model_validate(event)


class ComparisonEvent:
    """comparison takes an API Gateway proxy event whose body is the request, or the request
    itself (invoke)."""

    @staticmethod
    def from_event(event: dict[str, Any]) -> ComparisonRequest:
        if "httpMethod" in event:
            body = APIGatewayProxyEventModel.model_validate(event).body
            return ComparisonRequest.model_validate_json(str(body))
        return ComparisonRequest.model_validate(event)


MODELS: dict[str, Any] = {
    "ingest": S3Model,
    "analyses": APIGatewayProxyEventModel,
    "housekeeping": EventBridgeModel,
    "analysis_index": AnalysisTask,
    "analysis_shard": ShardTask,
    "analysis_ruff": AnalysisTask,
    "analysis_architecture": AnalysisTask,
    "analysis_review": ReviewTask,
    "analysis_review_chunk": ChunkTask,
    "analysis_review_merge": MergeReviewTask,
    "analysis_finalize": AnalysisTask,
    "analysis_failed": FailedTask,
    "audit_sink": KafkaSelfManagedEventModel,
    "quota_check": QuotaCheckEvent,
    "model_router": RouteEvent,
    "comparison": ComparisonEvent,
    "providers": APIGatewayProxyEventModel,
    "auth": APIGatewayProxyEventModel,
    "experiments": APIGatewayProxyEventModel,
    "projects": APIGatewayProxyEventModel,
    "provider_health": EventBridgeModel,
    "authorizer": ApiGatewayAuthorizerRequest,
    "promotion": APIGatewayProxyEventModel,
    "promotion_compare": PromotionTask,
    "promotion_decide": PromotionTask,
    "promotion_promote": PromotionTask,
    "promotion_quarantine": PromotionTask,
    "promotion_notify": PromotionTask,
}


def function_of(sample: Path) -> str:
    """events/<function>.json or events/<function>_<case>.json."""
    if sample.stem in MODELS:
        return sample.stem
    return sample.stem.rsplit("_", 1)[0]


def _load(sample: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(sample.read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("sample", EVENTS, ids=lambda p: p.name)
def test_the_sample_parses_with_its_handlers_model(sample: Path) -> None:
    function = function_of(sample)
    assert (ROOT / "functions" / function / "app.py").is_file()
    model = MODELS[function]
    parse = getattr(model, "from_event", None) or model.model_validate
    parse(_load(sample))


@pytest.mark.parametrize("sample", [p for p in EVENTS if p.stem.startswith("analysis_")],
                         ids=lambda p: p.name)  # fmt: skip
def test_step_samples_are_strict_about_their_fields(sample: Path) -> None:
    model = MODELS[function_of(sample)]
    with pytest.raises(InvalidTaskInputError, match="analysis_id"):
        model.from_event({**_load(sample), "analysis_id": "../escape"})
    with pytest.raises(InvalidTaskInputError, match="analysis_id"):
        model.from_event({k: v for k, v in _load(sample).items() if k != "analysis_id"})


@pytest.mark.parametrize("sample", [p for p in EVENTS if MODELS[function_of(p)] is PromotionTask],
                         ids=lambda p: p.name)  # fmt: skip
def test_promotion_samples_are_strict_about_their_fields(sample: Path) -> None:
    task = PromotionTask.from_event(_load(sample))
    if task.requester is not None:
        assert task.principal().tenant == "default"
    with pytest.raises(InvalidPromotionTaskError, match="promotion_id"):
        PromotionTask.from_event({**_load(sample), "promotion_id": "../escape"})
    with pytest.raises(InvalidPromotionTaskError, match="expected_version"):
        PromotionTask.from_event({**_load(sample), "expected_version": -1})
    with pytest.raises(InvalidPromotionTaskError, match="requester"):
        PromotionTask.from_event({**_load(sample), "requester": None}).principal()


def test_the_s3_sample_reads_as_the_ingest_data_class() -> None:
    record = next(S3Event(_load(ROOT / "events" / "ingest.json")).records)
    assert record.event_name == "ObjectCreated:Put"
    assert record.s3.get_object.key.startswith("uploads/")
    assert record.s3.get_object.version_id and record.s3.get_object.etag


def test_the_kafka_sample_carries_a_cloudevent_on_a_topic_the_audit_sink_consumes() -> None:
    event = KafkaEvent(_load(ROOT / "events" / "audit_sink.json"))
    assert event.event_source == "SelfManagedKafka"
    [record] = list(event.records)
    entry = AuditEntry.from_cloudevent(record.decoded_value)
    assert entry.type == record.topic == "coderev.analysis.completed"
    assert entry.analysis_id and entry.event_id == f"{entry.analysis_id}:completed"
    assert record.decoded_headers["content-type"] == b"application/cloudevents+json"
    template = load_template(ROOT / "template.yaml")
    triggers = template.functions["AuditSinkFunction"].events
    consumed = {topic for trigger in triggers if isinstance(trigger, KafkaTrigger)
                for topic in trigger.topics}  # fmt: skip
    assert record.topic in consumed


def test_every_function_of_the_template_has_a_sample_event() -> None:
    template = load_template(ROOT / "template.yaml")
    functions = {spec.code_dir.name for spec in template.functions.values()}
    sampled = {function_of(p) for p in EVENTS}
    assert functions == sampled == set(MODELS)


def test_api_samples_hit_routes_the_template_declares() -> None:
    template = load_template(ROOT / "template.yaml")
    routes = {(e.method, e.path) for f in template.functions.values() for e in f.events
              if type(e).__name__ == "ApiEvent"}  # fmt: skip
    for sample in EVENTS:
        event = _load(sample)
        if "httpMethod" in event:
            assert (event["httpMethod"], event["resource"]) in routes, sample.name


def test_task_inputs_refuse_wrong_types() -> None:
    assert ShardTask.from_event({"analysis_id": "a1", "shard": 3, "extra": 1}).shard == 3
    for bad in ({"analysis_id": "a1", "shard": -1}, {"analysis_id": "a1", "shard": True},
                {"analysis_id": "a1"}, ["a1"]):  # fmt: skip
        with pytest.raises(InvalidTaskInputError):
            ShardTask.from_event(bad)
    with pytest.raises(InvalidTaskInputError, match="baseline_key"):
        ReviewTask.from_event({"analysis_id": "a1", "baseline_key": 5})
    assert FailedTask.from_event({"analysis_id": "a1"}) == FailedTask("a1", None, None)
