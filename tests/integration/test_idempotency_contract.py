"""One contract suite for the idempotency persistence layers: SQLite (embedded) and Redis.

Redis is the machine's server: REDIS_URL, else redis://127.0.0.1:6379/15. It must answer;
a suite that skips its backend proves nothing. Each test uses keys of its own function name.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.idempotency import (
    BasePersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyItemAlreadyExistsError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from coderev.idempotency.redis import redis_persistence_layer
from coderev.idempotency.s3_objects import object_version_config
from coderev.idempotency.sqlite import SqlitePersistenceLayer

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BasePersistenceLayer]:
    if request.param == "sqlite":
        yield SqlitePersistenceLayer(tmp_path / "idempotency.db")
        return
    layer = redis_persistence_layer(REDIS_URL)
    try:
        layer.client.ping()
    except Exception as exc:  # the server must answer: fail, never skip
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); start it or set REDIS_URL")
    yield layer


def _counted(store: BasePersistenceLayer, config: IdempotencyConfig) -> tuple[Any, list[str]]:
    calls: list[str] = []

    def work(record: dict[str, Any]) -> dict[str, Any]:
        calls.append(record["s3"]["object"]["key"])
        return {"key": record["s3"]["object"]["key"], "outcome": "Started"}

    work.__qualname__ = f"work_{uuid.uuid4().hex}"  # keys of this test only
    return idempotent_function(work, data_keyword_argument="record", config=config,
                               persistence_store=store), calls  # fmt: skip


def _record(key: str, etag: str = "e1", version: str | None = "v1") -> dict[str, Any]:
    obj: dict[str, Any] = {"key": key, "eTag": etag, "size": 1}
    if version:
        obj["versionId"] = version
    return {"s3": {"bucket": {"name": "b"}, "object": obj}}


def test_one_object_version_runs_once_and_replays_its_response(store) -> None:
    work, calls = _counted(store, object_version_config())

    first = work(record=_record("uploads/a.zip"))
    again = work(record=_record("uploads/a.zip"))

    assert calls == ["uploads/a.zip"]
    assert first == {"key": "uploads/a.zip", "outcome": "Started"}
    assert again == {"key": "uploads/a.zip", "outcome": "Duplicate"}


def test_another_version_or_etag_runs_again(store) -> None:
    work, calls = _counted(store, object_version_config())

    work(record=_record("uploads/a.zip"))
    work(record=_record("uploads/a.zip", version="v2"))
    work(record=_record("uploads/a.zip", etag="e2", version=None))
    work(record=_record("uploads/a.zip", etag="e3", version=None))

    assert len(calls) == 4


def test_a_failed_run_leaves_no_record(store) -> None:
    config = object_version_config()
    attempts: list[int] = []

    def flaky(record: dict[str, Any]) -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("transient")
        return {"outcome": "Started"}

    flaky.__qualname__ = f"flaky_{uuid.uuid4().hex}"  # the idempotency key names it
    work = idempotent_function(flaky, data_keyword_argument="record", config=config,
                               persistence_store=store)  # fmt: skip
    with pytest.raises(RuntimeError):
        work(record=_record("uploads/b.zip"))
    assert work(record=_record("uploads/b.zip")) == {"outcome": "Started"}
    assert len(attempts) == 2


def test_expired_records_run_again(store) -> None:
    work, calls = _counted(store, object_version_config(expires_after_seconds=1))

    work(record=_record("uploads/c.zip"))
    time.sleep(2.1)
    work(record=_record("uploads/c.zip"))

    assert len(calls) == 2


def test_a_live_in_progress_record_refuses_a_second_put(store) -> None:
    store.configure(object_version_config(), f"fn_{uuid.uuid4().hex}")
    key = f"k-{uuid.uuid4().hex}"
    now = int(time.time())
    live = DataRecord(key, status="INPROGRESS", expiry_timestamp=now + 60,
                      in_progress_expiry_timestamp=(now + 60) * 1000)  # fmt: skip
    store._put_record(live)
    with pytest.raises(IdempotencyItemAlreadyExistsError):
        store._put_record(live)
    assert store._get_record(key).status == "INPROGRESS"
    store._delete_record(live)


def test_concurrent_duplicates_run_the_work_once(store) -> None:
    config = object_version_config()
    config.lambda_context = None
    entered = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def slow(record: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        entered.set()
        release.wait(5)
        return {"outcome": "Started"}

    slow.__qualname__ = f"slow_{uuid.uuid4().hex}"  # the idempotency key names it
    work = idempotent_function(slow, data_keyword_argument="record", config=config,
                               persistence_store=store)  # fmt: skip
    first = threading.Thread(target=work, kwargs={"record": _record("uploads/d.zip")})
    first.start()
    assert entered.wait(5)
    with pytest.raises(IdempotencyAlreadyInProgressError):
        work(record=_record("uploads/d.zip"))
    release.set()
    first.join(5)
    assert calls == [1]


def test_sqlite_deletes_expired_records(tmp_path: Path) -> None:
    store = SqlitePersistenceLayer(tmp_path / "i.db")
    store.configure(object_version_config(), "fn")
    now = int(time.time())
    store._put_record(DataRecord("old", status="COMPLETED", expiry_timestamp=now - 5))
    store._put_record(DataRecord("new", status="COMPLETED", expiry_timestamp=now + 60))

    assert store.delete_expired() == 1
    assert store._get_record("new").status == "COMPLETED"
