"""bootstrap's providers: chosen by configuration, built lazily, once per process."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.idempotency.persistence.redis import (
    RedisCachePersistenceLayer,
)

from coderev import bootstrap
from coderev.adapters.embedded.event_bus import InMemoryEventBus
from coderev.adapters.embedded.object_store import LocalObjectStore
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.adapters.kafka import KafkaEventBus
from coderev.adapters.s3 import S3ObjectStore
from coderev.adapters.stepfunctions import StepFunctionsStarter
from coderev.idempotency.sqlite import SqlitePersistenceLayer
from coderev.quotas.redis_store import RedisQuotaStore
from coderev.quotas.sqlite_store import SqliteQuotaStore

ROOT = Path(__file__).resolve().parents[2]
_BACKENDS = ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "S3_ENDPOINT",
             "AWS_LAMBDA_RUNTIME_API", "STEPFUNCTIONS_ENDPOINT")  # fmt: skip


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for variable in _BACKENDS:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CODEREV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("S3_BUCKET", "bucket-a")
    bootstrap.reset()
    yield tmp_path / "data"
    bootstrap.reset()


def test_embedded_defaults_live_under_the_data_dir(data_dir: Path) -> None:
    store = bootstrap.object_store()
    assert isinstance(store, LocalObjectStore)
    store.put("uploads/a.zip", b"x")
    assert (data_dir / "objects" / "bucket-a").is_dir()
    assert isinstance(bootstrap.event_bus(), InMemoryEventBus)
    assert bootstrap.analysis_repository().get("nope") is None
    assert (data_dir / "coderev.db").is_file()
    assert isinstance(bootstrap.idempotency_store(), SqlitePersistenceLayer)
    assert isinstance(bootstrap.state_machine_starter(), InProcessStateMachineStarter)
    quotas = bootstrap.quota_store()
    assert isinstance(quotas, SqliteQuotaStore) and quotas.path == data_dir / "quotas.sqlite"


def test_each_provider_builds_once(data_dir: Path) -> None:
    assert bootstrap.object_store() is bootstrap.object_store()
    assert bootstrap.event_bus() is bootstrap.event_bus()
    assert bootstrap.analysis_repository() is bootstrap.analysis_repository()
    assert bootstrap.idempotency_store() is bootstrap.idempotency_store()
    assert bootstrap.quota_store() is bootstrap.quota_store()


def test_real_backends_by_configuration(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("STEPFUNCTIONS_ENDPOINT", "http://127.0.0.1:9")
    bootstrap.reset()

    store = bootstrap.object_store()
    assert isinstance(store, S3ObjectStore) and store.bucket == "bucket-a"
    assert isinstance(bootstrap.event_bus(), KafkaEventBus)
    assert isinstance(bootstrap.idempotency_store(), RedisCachePersistenceLayer)
    assert isinstance(bootstrap.quota_store(), RedisQuotaStore)
    assert isinstance(bootstrap.state_machine_starter(), StepFunctionsStarter)


def test_on_aws_the_store_is_s3_and_executions_go_to_step_functions(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001")
    bootstrap.reset()

    assert isinstance(bootstrap.object_store(), S3ObjectStore)
    assert isinstance(bootstrap.state_machine_starter(), StepFunctionsStarter)


def test_the_platform_may_choose_the_store_and_the_starter(data_dir: Path) -> None:
    store, starter = LocalObjectStore(data_dir / "other"), InProcessStateMachineStarter()
    bootstrap.use_object_store(store)
    bootstrap.use_state_machine_starter(starter)
    assert bootstrap.object_store() is store
    assert bootstrap.state_machine_starter() is starter

    bootstrap.use_object_store(None)
    assert bootstrap.object_store() is not store


@pytest.mark.parametrize("name", sorted(p.parent.name for p in ROOT.glob("functions/*/app.py")))
def test_importing_a_handler_builds_no_infrastructure(name: str, data_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"coderev_import_check_{name}",
                                                  ROOT / "functions" / name / "app.py")  # fmt: skip
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    assert callable(module.lambda_handler)
    assert not data_dir.exists()  # no store, database or idempotency file was opened
