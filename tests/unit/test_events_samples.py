"""Every events/*.json is accepted by the model its handler parses it with, and every
function of template.yaml has a sample (`sam local invoke -e events/<name>.json`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    EventBridgeModel,
    S3Model,
)
from pydantic import BaseModel

from coderev.runtime.template import load_template
from coderev.service.task_inputs import AnalysisTask, FailedTask, ReviewTask, ShardTask

ROOT = Path(__file__).resolve().parents[2]
EVENTS = sorted((ROOT / "events").glob("*.json"))
MODELS: dict[str, type[BaseModel]] = {
    "ingest": S3Model,
    "analyses": APIGatewayProxyEventModel,
    "housekeeping": EventBridgeModel,
    "analysis_index": AnalysisTask,
    "analysis_shard": ShardTask,
    "analysis_architecture": AnalysisTask,
    "analysis_review": ReviewTask,
    "analysis_finalize": AnalysisTask,
    "analysis_failed": FailedTask,
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
    MODELS[function].model_validate(_load(sample))


@pytest.mark.parametrize("sample", [p for p in EVENTS if p.stem.startswith("analysis_")],
                         ids=lambda p: p.name)  # fmt: skip
def test_step_samples_are_strict_about_their_fields(sample: Path) -> None:
    model = MODELS[function_of(sample)]
    with pytest.raises(ValueError, match="analysis_id"):
        model.model_validate({**_load(sample), "analysis_id": "../escape"})


def test_the_s3_sample_reads_as_the_ingest_data_class() -> None:
    record = next(S3Event(_load(ROOT / "events" / "ingest.json")).records)
    assert record.event_name == "ObjectCreated:Put"
    assert record.s3.get_object.key.startswith("uploads/")
    assert record.s3.get_object.version_id and record.s3.get_object.etag


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
        if function_of(sample) == "analyses":
            event = _load(sample)
            assert (event["httpMethod"], event["resource"]) in routes, sample.name
