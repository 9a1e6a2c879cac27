"""Handlers of functions/ run in-process on the embedded adapters under tmp_path.

Each test gets its own CODEREV_DATA_DIR and fresh bootstrap providers; handlers are loaded
by file path under a module name of their own (`load_function`), as the local runtime
loads them, so two `app.py` never clash and nothing is put on sys.path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

from coderev import bootstrap
from coderev.runtime.invoker.lambda_context import LambdaContext

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"
STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:coderev-AnalysisStateMachine"
_BACKENDS = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT",
             "AWS_LAMBDA_RUNTIME_API", "STEPFUNCTIONS_ENDPOINT")  # fmt: skip


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py, freshly imported (a cold start)."""
    path = ROOT / "functions" / name / "app.py"
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:8]
    module_name = f"coderev_test_function_{name}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def context(name: str = "coderev-test") -> LambdaContext:
    return LambdaContext.for_invocation(
        function_name=name,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        memory_limit_in_mb=512,
        timeout_seconds=60,
    )


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return loaded


def zip_archive(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(path, (2026, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


SHOP = {
    "shop/__init__.py": "",
    "shop/orders.py": "from shop.pricing import price\n\n\ndef total(items):\n"
    "    return sum(price(i) for i in items)\n",
    "shop/pricing.py": "import os\n\n\ndef price(item):\n    return item.price\n",
}


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Embedded defaults under tmp_path; the providers rebuilt for this test."""
    for variable in _BACKENDS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("S3_BUCKET", "coderev-123456789012-us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "coderev")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "coderev")
    monkeypatch.setenv("ANALYSIS_STATE_MACHINE_ARN", STATE_MACHINE)
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


@pytest.fixture
def invoke() -> Callable[[str, dict[str, Any]], Any]:
    """Call functions/<name>'s handler with an event (through JSON, as Lambda passes it)."""
    loaded: dict[str, ModuleType] = {}

    def call(name: str, event: dict[str, Any]) -> Any:
        if name not in loaded:
            loaded[name] = load_function(name)
        return loaded[name].lambda_handler(json.loads(json.dumps(event)), context(name))

    return call


def s3_record_event(bucket: str, key: str, etag: str, version_id: str | None) -> dict[str, Any]:
    """The sample notification, pointed at another object."""
    event = sample("ingest.json")
    obj = event["Records"][0]["s3"]["object"]
    event["Records"][0]["s3"]["bucket"]["name"] = bucket
    obj.update({"key": key, "eTag": etag})
    if version_id is None:
        obj.pop("versionId", None)
    else:
        obj["versionId"] = version_id
    return event


@pytest.fixture
def kit() -> SimpleNamespace:
    """This conftest's helpers (test modules cannot import a conftest in importlib mode)."""
    return SimpleNamespace(
        sample=sample,
        zip_archive=zip_archive,
        s3_record_event=s3_record_event,
        load_function=load_function,
        context=context,
        shop=dict(SHOP),
        state_machine=STATE_MACHINE,
        root=ROOT,
    )
