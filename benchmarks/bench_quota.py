"""Quota check-and-spend throughput and latency, against a bare Redis INCR in the same run.

On the real Redis (REDIS_URL, else redis://127.0.0.1:6379/15; keys under a prefix of this
run, deleted after), alternating anchor and subject over `--rounds` rounds:
  - anchor: `INCR` of one key, one round trip, the cheapest thing a Redis client can do;
  - subject: RedisQuotaStore.check_and_spend over the six limits a tenant+provider pair has
    in a typical configuration (tenant, provider and pair budgets; requests, tokens, cost),
    every check admitted (the full spend path: one EVALSHA reading and incrementing six keys).
Each is run sequentially (one client; latency per call: p50, p99) and from `--threads`
threads at once (throughput). The embedded SQLite store's sequential figures come last.
Prints JSON, then one line per figure with its ratio to the anchor.

    python benchmarks/bench_quota.py [--checks 10000] [--rounds 3] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis

from coderev.ports import QuotaLimit
from coderev.quotas.redis_store import RedisQuotaStore
from coderev.quotas.sqlite_store import SqliteQuotaStore

BIG = 10**15
LIMITS = (
    QuotaLimit("tenant:bench", "requests", "minute", BIG),
    QuotaLimit("tenant:bench", "tokens", "day", BIG),
    QuotaLimit("tenant:bench", "cost_micro_usd", "month", BIG),
    QuotaLimit("provider:bench", "requests", "minute", BIG),
    QuotaLimit("provider:bench", "tokens", "minute", BIG),
    QuotaLimit("tenant:bench/provider:bench", "tokens", "day", BIG),
)
SPEND = {"requests": 1, "tokens": 900, "cost_micro_usd": 1350}


def sequential(op: Callable[[], Any], n: int) -> dict[str, float]:
    """n calls one after another: calls/s over the whole run, and per-call latency."""
    latencies = [0.0] * n
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        op()
        latencies[i] = time.perf_counter() - t0
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {"per_s": n / elapsed, "p50_ms": latencies[n // 2] * 1e3,
            "p99_ms": latencies[min(n - 1, int(n * 0.99))] * 1e3}  # fmt: skip


def concurrent(make_op: Callable[[], Callable[[], Any]], n: int, threads: int) -> float:
    """n calls spread over `threads` threads released together: calls/s."""
    per_thread = n // threads
    ops = [make_op() for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def work(op: Callable[[], Any]) -> None:
        barrier.wait()
        for _ in range(per_thread):
            op()

    pool = [threading.Thread(target=work, args=(op,)) for op in ops]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    return per_thread * threads / (time.perf_counter() - started)


def median_of(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    prefix = f"coderev-bench:quota:{uuid.uuid4().hex[:8]}:"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        sys.exit(f"bench_quota needs Redis at {url} ({exc}); set REDIS_URL")
    now = datetime.now(UTC)  # fixed: every check spends from the same windows
    store = RedisQuotaStore(client, prefix=prefix)

    def incr_op(c: redis.Redis = client) -> Callable[[], Any]:
        return lambda: c.incr(prefix + "anchor")

    def quota_op(s: RedisQuotaStore = store) -> Callable[[], Any]:
        return lambda: s.check_and_spend(LIMITS, SPEND, now)

    def fresh_incr() -> Callable[[], Any]:
        return incr_op(redis.Redis.from_url(url))

    def fresh_quota() -> Callable[[], Any]:
        return quota_op(RedisQuotaStore(redis.Redis.from_url(url), prefix=prefix))

    assert store.check_and_spend(LIMITS, SPEND, now).allowed  # loads the script, warms up
    anchor_seq: list[dict[str, float]] = []
    quota_seq: list[dict[str, float]] = []
    anchor_par: list[float] = []
    quota_par: list[float] = []
    try:
        for _ in range(args.rounds):  # alternated: drift on a shared machine hits both
            anchor_seq.append(sequential(incr_op(), args.checks))
            quota_seq.append(sequential(quota_op(), args.checks))
            anchor_par.append(concurrent(fresh_incr, args.checks, args.threads))
            quota_par.append(concurrent(fresh_quota, args.checks, args.threads))
        with tempfile.TemporaryDirectory(prefix="coderev-bench-quota-") as tmp:
            sqlite = SqliteQuotaStore(Path(tmp) / "quotas.sqlite")
            sqlite_seq = sequential(lambda: sqlite.check_and_spend(LIMITS, SPEND, now),
                                    max(args.checks // 4, 1))  # fmt: skip
            sqlite.close()
    finally:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    anchor, quota = median_of(anchor_seq), median_of(quota_seq)
    results = {
        "redis": url.rsplit("@", 1)[-1], "checks": args.checks, "rounds": args.rounds,
        "limits_per_check": len(LIMITS), "threads": args.threads,
        "redis_incr": {**anchor, "threads_per_s": statistics.median(anchor_par)},
        "redis_quota_check": {**quota, "threads_per_s": statistics.median(quota_par)},
        "sqlite_quota_check": sqlite_seq,
    }  # fmt: skip
    print(json.dumps(results, indent=2))
    par_a, par_q = statistics.median(anchor_par), statistics.median(quota_par)
    print(
        f"bare INCR:            {anchor['per_s']:8.0f}/s  p50 {anchor['p50_ms']:.3f} ms  "
        f"p99 {anchor['p99_ms']:.3f} ms  ({args.threads} threads: {par_a:.0f}/s)"
    )
    print(
        f"quota check (Redis):  {quota['per_s']:8.0f}/s  p50 {quota['p50_ms']:.3f} ms  "
        f"p99 {quota['p99_ms']:.3f} ms  ({args.threads} threads: {par_q:.0f}/s)"
    )
    print(
        f"  vs INCR: {quota['per_s'] / anchor['per_s']:.2f}x the rate, "
        f"{quota['p99_ms'] / anchor['p99_ms']:.2f}x the p99; "
        f"{args.threads} threads: {par_q / par_a:.2f}x the rate"
    )
    print(
        f"quota check (SQLite): {sqlite_seq['per_s']:8.0f}/s  p50 "
        f"{sqlite_seq['p50_ms']:.3f} ms  p99 {sqlite_seq['p99_ms']:.3f} ms  "
        f"({sqlite_seq['per_s'] / anchor['per_s']:.2f}x the INCR rate)"
    )


if __name__ == "__main__":
    main()
