"""What the authorizer and the access policy add to a request, against `/health` in the
same run.

One local gateway on template.yaml (embedded backends in a temporary data dir,
JWT_SECRET_KEY set, open local mode on so the same route can be asked without a token), one
client (a connection per request), rounds alternated so load on the machine falls on every
figure alike:
  - health: GET /health, answered by the gateway itself (the anchor);
  - handler: GET /analyses/{id} (an unknown id: the analyses handler answers 404) without a
    token: open local mode, no authorizer;
  - cached: the same with one viewer token: the authorizer's policy cached per token and
    route (ReauthorizeEvery), as API Gateway serves repeated calls;
  - uncached: the same with a new token each request: the authorizer function invoked every
    time (JWT verification, the revocation store, the policy decision);
and, outside HTTP, one policy decision on regopy (compiled bundle) with and without the
decision memo. Prints JSON, then p50s and the authorizer's added p50 (cached and uncached
minus handler) against the 2 ms target.

    python benchmarks/bench_authorizer.py [--requests 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEY = "b" * 48


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p99_ms(samples: list[float]) -> float:
    return sorted(samples)[int(len(samples) * 0.99) - 1] * 1000


def timed(address: tuple[str, int], path: str, token: str | None, expect: int) -> float:
    """One request on a connection of its own (as curl makes them): a keep-alive connection
    to this gateway waits about 40 ms per request (seen here; not the authorizer's doing)."""
    headers = {"Authorization": token} if token else {}
    started = time.perf_counter()
    connection = http.client.HTTPConnection(*address, timeout=30)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    elapsed = time.perf_counter() - started
    if response.status != expect:
        raise SystemExit(f"GET {path}: {response.status}, expected {expect}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per figure per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="coderev-bench-authorizer-")
    atexit.register(shutil.rmtree, data, ignore_errors=True)  # its databases go with the run
    for name in ("DATABASE_URL", "REDIS_URL", "OPA_URL", "S3_ENDPOINT", "KAFKA_BOOTSTRAP_SERVERS"):
        os.environ.pop(name, None)
    os.environ.update(CODEREV_DATA_DIR=data, JWT_SECRET_KEY=KEY, POWERTOOLS_TRACE_DISABLED="true",
                      POWERTOOLS_METRICS_DISABLED="true", LOG_LEVEL="WARNING",
                      POWERTOOLS_LOG_LEVEL="WARNING")  # fmt: skip

    from coderev.auth.tokens import TokenPolicy
    from coderev.runtime.gateway import Gateway
    from coderev.runtime.invoker import LocalInvoker
    from coderev.runtime.platform.assembly import HOST_VARIABLES

    policy = TokenPolicy(key=KEY.encode())

    def token() -> str:
        issued = policy.issue("bench-user", "bench", frozenset({"viewer"}), "s")
        return f"Bearer {issued.token}"

    path = f"/analyses/{uuid.uuid4()}"
    viewer = token()
    fresh: Iterator[str] = iter([token() for _ in range(args.requests * args.rounds + 10)])
    figures: dict[str, list[float]] = {"health": [], "handler": [], "cached": [], "uncached": []}
    with LocalInvoker(ROOT / "template.yaml", host_variables=HOST_VARIABLES) as invoker, \
            Gateway(invoker, port=0, open_local_mode=True) as gateway:  # fmt: skip
        address = gateway.address
        runs: dict[str, Callable[[], float]] = {
            "health": lambda: timed(address, "/health", None, 200),
            "handler": lambda: timed(address, path, None, 404),
            "cached": lambda: timed(address, path, viewer, 404),
            "uncached": lambda: timed(address, path, next(fresh), 404),
        }
        for run in runs.values():  # warm: imports, cold starts, the bundle, the first policy
            for _ in range(5):
                run()
        for _ in range(args.rounds):
            for name, run in runs.items():
                figures[name] += [run() for _ in range(args.requests)]

    from coderev.adapters.regopy_policy import RegoPolicyEngine
    from coderev.auth.principal import Principal
    from coderev.policy import AUTHZ_PATH, authz_input, policy_modules
    from coderev.policy.cache import CachedPolicyEngine

    engine = RegoPolicyEngine(policy_modules())
    memo = CachedPolicyEngine(engine)
    question = authz_input(Principal("u", "t", frozenset({"viewer"}), "user"), method="GET",
                           resource="/analyses/{id}")  # fmt: skip
    for name, decide in (("regopy", engine), ("regopy_memo", memo)):
        decide.decide(AUTHZ_PATH, question)
        samples = []
        for _ in range(args.requests * 2):
            started = time.perf_counter()
            decide.decide(AUTHZ_PATH, question)
            samples.append(time.perf_counter() - started)
        figures[f"decision_{name}"] = samples

    summary = {name: {"p50_ms": round(p50_ms(s), 3), "p99_ms": round(p99_ms(s), 3), "n": len(s)}
               for name, s in figures.items()}  # fmt: skip
    handler = summary["handler"]["p50_ms"]
    summary["added_p50_ms"] = {
        "cached": round(summary["cached"]["p50_ms"] - handler, 3),
        "uncached": round(summary["uncached"]["p50_ms"] - handler, 3),
    }
    print(json.dumps(summary, indent=2))
    health = summary["health"]["p50_ms"]
    for name in ("handler", "cached", "uncached"):
        print(f"{name:>9}: p50 {summary[name]['p50_ms']:.2f} ms = "
              f"{summary[name]['p50_ms'] / health:.1f}x /health ({health:.2f} ms)")  # fmt: skip
    for name, added in summary["added_p50_ms"].items():
        verdict = "within" if added <= 2.0 else "OVER"
        print(f"authorizer + policy, {name}: +{added:.2f} ms p50 ({verdict} the 2 ms target)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
