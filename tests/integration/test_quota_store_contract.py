"""One contract suite for the QuotaStore adapters: SQLite (embedded) and Redis (one Lua script).

Redis is the machine's server: REDIS_URL, else redis://127.0.0.1:6379/15. It must answer; a
suite that skips its backend proves nothing. Each test's keys start with a prefix of its own,
deleted afterwards. Times are in next month (a counter expires at its window's end: a past
window's would be gone at once), fixed per test so no window turns over mid-test.

Concurrency: threads sharing one store, and processes each with their own store on the same
Redis or SQLite file, all released at once, must admit exactly the limit (zero over-admission)
and leave every counter equal to what the admitted checks spent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from coderev.ports import QuotaLimit, QuotaStore
from coderev.quotas.errors import InvalidQuotaRequestError
from coderev.quotas.redis_store import RedisQuotaStore
from coderev.quotas.sqlite_store import SqliteQuotaStore

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
ROOT = Path(__file__).resolve().parents[2]


def _next_month(day: int = 10, hour: int = 12, minute: int = 0, second: int = 30) -> datetime:
    today = datetime.now(UTC)
    first = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.replace(day=day, hour=hour, minute=minute, second=second, microsecond=0)


T = _next_month()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(kind, target, prefix): the SQLite file, or the Redis URL and this test's key prefix."""
    if request.param == "sqlite":
        yield "sqlite", str(tmp_path / "quotas.sqlite"), ""
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:  # the server must answer: fail, never skip
        pytest.fail(f"Redis at {REDIS_URL} does not answer ({exc}); start it or set REDIS_URL")
    prefix = f"coderev-test:quota:{uuid.uuid4().hex[:12]}:"
    yield "redis", REDIS_URL, prefix
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def _open(kind: str, target: str, prefix: str) -> QuotaStore:
    if kind == "sqlite":
        return SqliteQuotaStore(Path(target))
    return RedisQuotaStore.from_url(target, prefix=prefix)


@pytest.fixture
def store(backend: tuple[str, str, str]) -> QuotaStore:
    return _open(*backend)


REQ_MIN = QuotaLimit("tenant:acme", "requests", "minute", 3)
TOK_DAY = QuotaLimit("tenant:acme", "tokens", "day", 1000)
PROV_TOK = QuotaLimit("provider:openai", "tokens", "minute", 10_000)


def test_admits_up_to_the_limit_then_denies_until_the_window_resets(store: QuotaStore) -> None:
    allowed = [store.check_and_spend((REQ_MIN,), {"requests": 1}, T).allowed for _ in range(5)]
    assert allowed == [True, True, True, False, False]
    denied = store.check_and_spend((REQ_MIN,), {"requests": 1}, T + timedelta(seconds=10))
    assert denied.denied_by == REQ_MIN and denied.retry_after_s == 20.0  # 12:00:40 -> 12:01
    assert denied.remaining == {"tenant:acme|requests|minute": 0}
    last = store.check_and_spend((REQ_MIN,), {"requests": 1}, T + timedelta(seconds=29.999))
    assert not last.allowed and round(last.retry_after_s or 0, 3) == 0.001
    fresh = store.check_and_spend((REQ_MIN,), {"requests": 1}, T + timedelta(seconds=30))
    assert fresh.allowed and fresh.remaining == {"tenant:acme|requests|minute": 2}


def test_all_or_nothing_a_denied_check_spends_no_limit(store: QuotaStore) -> None:
    limits = (REQ_MIN, TOK_DAY, PROV_TOK)
    first = store.check_and_spend(limits, {"requests": 1, "tokens": 900}, T)
    assert first.allowed and first.retry_after_s is None and first.denied_by is None
    assert first.remaining == {"tenant:acme|requests|minute": 2, "tenant:acme|tokens|day": 100,
                               "provider:openai|tokens|minute": 9100}  # fmt: skip
    second = store.check_and_spend(limits, {"requests": 1, "tokens": 200}, T)
    assert not second.allowed and second.denied_by == TOK_DAY
    assert second.retry_after_s == 12 * 3600 - 30  # 12:00:30 until midnight UTC
    # nothing of the denied check was spent: requests and the provider's tokens are as before
    assert second.remaining == first.remaining
    third = store.check_and_spend(limits, {"requests": 1, "tokens": 100}, T)
    assert third.allowed and third.remaining["provider:openai|tokens|minute"] == 9000


def test_retry_after_waits_for_every_window_that_denies(store: QuotaStore) -> None:
    limits = (QuotaLimit("tenant:b", "requests", "minute", 1),
              QuotaLimit("tenant:b", "requests", "month", 1))  # fmt: skip
    assert store.check_and_spend(limits, {"requests": 1}, T).allowed
    denied = store.check_and_spend(limits, {"requests": 1}, T)
    assert denied.denied_by == limits[0]  # the first full one is named...
    month_end = (T.replace(day=28) + timedelta(days=4)).replace(day=1, hour=0, minute=0, second=0)
    assert denied.retry_after_s == (month_end - T).total_seconds()  # ...but both must reset


def test_a_metric_not_spent_is_not_checked(store: QuotaStore) -> None:
    assert store.check_and_spend((TOK_DAY,), {"tokens": 1000}, T).allowed
    assert store.check_and_spend((REQ_MIN, TOK_DAY), {"requests": 1}, T).allowed
    assert not store.check_and_spend((REQ_MIN, TOK_DAY), {"requests": 1, "tokens": 1}, T).allowed


def test_refund_gives_back_and_never_goes_below_zero(store: QuotaStore) -> None:
    assert store.check_and_spend((TOK_DAY,), {"tokens": 1000}, T).allowed
    store.refund((TOK_DAY,), {"tokens": 400}, T)
    assert store.check_and_spend((TOK_DAY,), {"tokens": 400}, T).allowed
    assert not store.check_and_spend((TOK_DAY,), {"tokens": 1}, T).allowed
    store.refund((TOK_DAY,), {"tokens": 5000}, T)  # more than was spent: zero, not -4000
    assert store.check_and_spend((TOK_DAY,), {"tokens": 1000}, T).allowed
    assert not store.check_and_spend((TOK_DAY,), {"tokens": 1}, T).allowed
    store.refund((PROV_TOK,), {"tokens": 50}, T)  # never spent: still a full budget
    assert store.check_and_spend((PROV_TOK,), {"tokens": 10_000}, T).remaining == {
        "provider:openai|tokens|minute": 0}  # fmt: skip


def test_no_limits_allow_and_wrong_amounts_are_refused(store: QuotaStore) -> None:
    assert store.check_and_spend((), {"requests": 1}, T).allowed
    for amounts in ({"requests": -1}, {"tokens": 1.5}, {"dollars": 1}):
        with pytest.raises(InvalidQuotaRequestError):
            store.check_and_spend((REQ_MIN,), amounts, T)  # type: ignore[arg-type]


def test_an_amount_over_the_limit_is_denied_and_spends_nothing(store: QuotaStore) -> None:
    assert not store.check_and_spend((TOK_DAY,), {"tokens": 1001}, T).allowed
    assert store.check_and_spend((TOK_DAY,), {"tokens": 1000}, T).allowed


# --- concurrency: zero over-admission ---------------------------------------------------------

LIMITS = (QuotaLimit("tenant:load", "requests", "day", 10_000),
          QuotaLimit("tenant:load", "tokens", "day", 7 * 60),
          QuotaLimit("provider:load", "requests", "minute", 10_000))  # fmt: skip
SPEND = {"requests": 1, "tokens": 7}  # the tokens budget admits exactly 60 checks


def _assert_exactly_the_budget_spent(store: QuotaStore, admitted: int) -> None:
    assert admitted == 60
    probe = store.check_and_spend(LIMITS, {"requests": 0}, T)  # spends nothing, reads all
    assert probe.remaining == {"tenant:load|requests|day": 10_000 - 60,
                               "tenant:load|tokens|day": 0,
                               "provider:load|requests|minute": 10_000 - 60}  # fmt: skip


def test_threads_never_over_admit(store: QuotaStore) -> None:
    threads, attempts = 8, 25
    barrier = threading.Barrier(threads)
    admitted: list[int] = []

    def work() -> None:
        barrier.wait()
        admitted.append(sum(store.check_and_spend(LIMITS, SPEND, T).allowed
                            for _ in range(attempts)))  # fmt: skip

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert len(admitted) == threads
    _assert_exactly_the_budget_spent(store, sum(admitted))


_WORKER = """
import json, sys
from datetime import datetime
from pathlib import Path
from coderev.ports import QuotaLimit
kind, target, prefix, now, attempts, limits, spend = sys.argv[1:]
if kind == "sqlite":
    from coderev.quotas.sqlite_store import SqliteQuotaStore
    store = SqliteQuotaStore(Path(target))
else:
    from coderev.quotas.redis_store import RedisQuotaStore
    store = RedisQuotaStore.from_url(target, prefix=prefix)
limits = tuple(QuotaLimit(*limit) for limit in json.loads(limits))
now, spend = datetime.fromisoformat(now), json.loads(spend)
store.check_and_spend(limits, {}, now)  # connected, schema made: ready
print("ready", flush=True)
sys.stdin.readline()
print(sum(store.check_and_spend(limits, spend, now).allowed for _ in range(int(attempts))))
"""


def test_processes_never_over_admit(backend: tuple[str, str, str], store: QuotaStore) -> None:
    kind, target, prefix = backend
    limits = json.dumps([[x.scope, x.metric, x.window, x.limit] for x in LIMITS])
    env = {**os.environ, "PYTHONPATH": str(ROOT / "layers" / "core")}
    workers = [subprocess.Popen(
        [sys.executable, "-c", _WORKER, kind, target, prefix, T.isoformat(), "30", limits,
         json.dumps(SPEND)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    ) for _ in range(4)]  # fmt: skip
    try:
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        for worker in workers:  # release them together
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert all(worker.returncode == 0 for worker in workers)
    _assert_exactly_the_budget_spent(store, sum(int(out.strip()) for out in outputs))


def test_a_sqlite_store_survives_a_fork(tmp_path: Path) -> None:
    """A child forked after the parent checked opens its own connection and sees the parent's
    spend (sqlite3 connections must not cross a fork)."""
    store = SqliteQuotaStore(tmp_path / "q.sqlite")
    assert store.check_and_spend((REQ_MIN,), {"requests": 2}, T).allowed
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one request left
        ok = store.check_and_spend((REQ_MIN,), {"requests": 1}, T).allowed
        again = store.check_and_spend((REQ_MIN,), {"requests": 1}, T).allowed
        os.write(write, json.dumps([ok, again]).encode())
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    answer: Any = json.loads(os.read(read, 100))
    os.close(read)
    assert status == 0 and answer == [True, False]
    assert not store.check_and_spend((REQ_MIN,), {"requests": 1}, T).allowed
