"""The Grafana dashboards and Prometheus alert rules read only what coderev exports.

Every PromQL query of infrastructure/grafana/dashboards/*.json and
infrastructure/prometheus/rules/*.yml names metrics found in the scrape of a real `coderev
serve` (its `GET /metrics`) after one analysis ran on it; every coderev metric is on some
dashboard; the rules pass `promtool check rules` (Debian's prometheus package: .ci/run installs
it; missing under CI is a failure, elsewhere a skip that says so); the dashboards name only
the provisioned datasources.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from tests.functional.conftest import ROOT, Server, start_server
from tests.functional.test_presigned_upload import follow, put
from tests.functional.test_serve import sample_archive

from coderev.telemetry.metrics import METRICS

DASHBOARDS = sorted((ROOT / "infrastructure" / "grafana" / "dashboards").glob("*.json"))
RULES = sorted((ROOT / "infrastructure" / "prometheus" / "rules").glob("*.yml"))
DATASOURCES = ROOT / "infrastructure/grafana/provisioning/datasources/datasources.yaml"
SEED_DASHBOARDS = {"service-health", "request-metrics", "database-performance",
                   "cache-statistics", "pipeline-ai-cost"}  # fmt: skip

# PromQL words that are not metric names
FUNCTIONS = {
    "abs", "absent", "avg_over_time", "ceil", "changes", "clamp_max", "clamp_min", "delta",
    "deriv", "exp", "floor", "histogram_quantile", "idelta", "increase", "irate", "label_replace",
    "ln", "max_over_time", "min_over_time", "predict_linear", "rate", "resets", "round", "scalar",
    "sort", "sort_desc", "sqrt", "sum_over_time", "time", "timestamp", "vector",
    "sum", "avg", "min", "max", "count", "stddev", "topk", "bottomk", "quantile", "group",
    "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
    "bool", "offset", "inf", "nan",
}  # fmt: skip
# made by Prometheus itself for every target, not by coderev
SCRAPE_METRICS = {"up"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: strings, label matchers, grouping label
    lists, ranges, durations and numbers removed, then every word not a PromQL word."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?[smhdwy]?\b", " ", text)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {w for w in words if w.lower() not in FUNCTIONS}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expr) of every Prometheus target."""
    found = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if target["datasource"]["type"] == "prometheus":
                    found.append((path.stem, panel["title"], target["expr"]))
    return found


def rule_queries() -> list[tuple[str, str, str]]:
    found = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                found.append((path.stem, rule.get("alert") or rule["record"], rule["expr"]))
    return found


def exported(scrape: str) -> set[str]:
    """Every name in a scrape: its samples, and its families (# TYPE) with the sample names
    their kind has (a labelled family has no sample until a label set is used)."""
    parts = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for line in scrape.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()[:4]
            names |= {name, *(name.removesuffix("_total") + part for part in parts.get(kind, ()))}
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


@pytest.fixture(scope="module")
def scrape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`coderev serve`'s /metrics once one analysis ran through it."""
    server: Server = start_server(tmp_path_factory.mktemp("metrics") / "data")
    try:
        status, ticket = server.json("POST", "/analyses/uploads?filename=shop.tar.gz")
        assert status == 201, ticket
        upload = ticket["upload"]
        stored, _ = put(upload["url"], sample_archive(),
                        {**upload["headers"], "Content-Type": "application/gzip"})  # fmt: skip
        assert stored == 200
        assert follow(server, ticket["status_url"])["status"] == "SUCCEEDED"
        deadline = time.monotonic() + 30  # the execution ends just after the record does
        while True:
            status, body = server.request("GET", "/metrics")
            assert status == 200
            if "coderev_executions_total{" in body.decode() or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        yield body.decode()
    finally:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(60)


def test_the_seed_dashboards_and_the_rules_are_there() -> None:
    assert {path.stem for path in DASHBOARDS} == SEED_DASHBOARDS
    assert len(rule_queries()) >= 10


def test_the_metric_name_reader_finds_what_a_query_reads() -> None:
    expr = (
        'histogram_quantile(0.95, sum by (le, route) (rate(a_bucket{job="x",s=~"5.."}[5m])))'
        " / clamp_min(sum without (b) (b_total offset 1h), 1e-9) > 0.5 and on(x) up == 0"
    )
    assert metric_names(expr) == {"a_bucket", "b_total", "up"}


def test_every_query_reads_only_exported_metrics(scrape: str) -> None:
    names = exported(scrape) | SCRAPE_METRICS
    unknown = [
        (source, title, sorted(metric_names(expr) - names))
        for source, title, expr in dashboard_queries() + rule_queries()
        if metric_names(expr) - names
    ]
    assert unknown == []
    assert all(metric_names(expr) for _, _, expr in dashboard_queries() + rule_queries())


def test_every_coderev_metric_has_samples_after_an_analysis(scrape: str) -> None:
    names = exported(scrape)
    missing = []
    for spec in METRICS:
        sample = {"counter": f"{spec.name}_total", "histogram": f"{spec.name}_count"}.get(
            spec.kind, spec.name
        )
        if not any(line.startswith(sample) for line in scrape.splitlines()):
            missing.append(spec.name)
        assert spec.name in names or f"{spec.name}_total" in names
    # no model is called offline; the authorizer cache is hit only on a route it guards
    assert set(missing) <= {"coderev_ai_calls", "coderev_ai_tokens", "coderev_ai_cost_usd",
                            "coderev_ai_call_duration_seconds", "coderev_db_errors",
                            "coderev_function_errors", "coderev_cache_requests"}  # fmt: skip


def test_every_coderev_metric_is_on_a_dashboard() -> None:
    read = set().union(*(metric_names(expr) for _, _, expr in dashboard_queries()))
    families = {re.sub(r"_(total|bucket|sum|count)$", "", name) for name in read}
    assert [spec.name for spec in METRICS if spec.name not in families] == []


def test_dashboards_use_only_the_provisioned_datasources() -> None:
    sources = yaml.safe_load(DATASOURCES.read_text())["datasources"]
    provisioned = {d["uid"]: d["type"] for d in sources}
    for path in DASHBOARDS:
        board: dict[str, Any] = json.loads(path.read_text())
        assert board["uid"].startswith("coderev-") and board["title"]
        for panel in board["panels"]:
            for source in [panel["datasource"], *(t["datasource"] for t in panel["targets"])]:
                assert provisioned.get(source["uid"]) == source["type"], (path.name, panel["title"])


def test_promtool_accepts_the_rules() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "promtool (Debian package prometheus) is missing; .ci/run installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result = subprocess.run([promtool, "check", "rules", *map(str, RULES)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
