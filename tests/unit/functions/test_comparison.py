"""functions/comparison: the comparison invoked and over HTTP, on its sample events."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def test_invoke_answers_a_recommendation_on_the_sample(embedded, invoke, kit) -> None:  # type: ignore[no-untyped-def]
    event = kit.sample("comparison.json")
    answer = invoke("comparison", event)
    assert answer["primary"] == "precision" and answer["n_pairs"] == 40
    assert answer["recommendation"]["decision"] == "promote"
    assert [look["pairs"] for look in answer["sequential"]["looks"]] == [20, 40]
    assert set(answer["metrics"]) >= {"precision", "cost_usd", "latency_s", "failed"}
    assert invoke("comparison", event) == answer  # seeded: the same answer again


def test_http_answers_200_and_400_by_type(embedded, invoke, kit) -> None:  # type: ignore[no-untyped-def]
    event: dict[str, Any] = kit.sample("comparison_http.json")
    ok = invoke("comparison", event)
    assert ok["statusCode"] == 200
    body = json.loads(ok["body"])
    assert body["primary"] == "failed" and body["metrics"]["failed"]["test"] == "mcnemar-exact"
    event["body"] = json.dumps({**json.loads(event["body"]), "primary": "recall"})
    bad = invoke("comparison", event)
    assert bad["statusCode"] == 400
    assert json.loads(bad["body"])["error"] == "InvalidComparisonRequestError"
    event["body"] = json.dumps({"primary": "failed", "pairs": []})
    assert invoke("comparison", event)["statusCode"] == 422


def test_the_handler_module_loads_neither_numpy_nor_scipy(kit) -> None:  # type: ignore[no-untyped-def]
    app = str(kit.root / "functions" / "comparison" / "app.py")
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('app', {app!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
