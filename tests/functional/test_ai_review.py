"""`coderev review --reviewer auto` on the platform path (the default), with OPENAI_BASE_URL and
ANTHROPIC_BASE_URL pointing at local servers speaking those APIs (coderev.providers.wire):
AI comments merged with the static findings, a fallback when the first provider fails, and a
report that records who reviewed what at what cost; with no provider, the offline review,
saying so. No real provider is ever called."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.conftest import ROOT, embedded_environ

from coderev.providers.wire import Call, Fault, Script, WireServer
from coderev.review.ai.scripted import scripted_reply

PROVIDER_VARS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL",
                 "HUGGINGFACE_API_KEY", "CODEREV_HF_ENDPOINT_URL", "CODEREV_REVIEWER",
                 "CODEREV_PROVIDER_MODELS", "CODEREV_MASTER_KEY")  # fmt: skip
OPENAI_KEY = "sk-test-openai-4b1d9e"
ANTHROPIC_KEY = "sk-ant-test-77c2a0"


def reviewer(call: Call) -> str:
    return scripted_reply(call.user, call.model)


@pytest.fixture
def servers() -> Iterator[tuple[WireServer, WireServer]]:
    """An OpenAI-speaking server that fails every call (500), and a working Anthropic one."""
    down = Script([Fault("server_error")] * 200)
    with WireServer(down, responder=reviewer) as openai, WireServer(responder=reviewer) as claude:
        yield openai, claude


def run(target: Path, out: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in embedded_environ(COLUMNS="200").items()
               if k not in PROVIDER_VARS}  # fmt: skip
    environ.update(XDG_DATA_HOME=str(out.parent / "data"), **env)
    return subprocess.run(
        [sys.executable, "-m", "coderev.cli", "review", str(target), "--out", str(out), *extra],
        capture_output=True, text=True, env=environ, cwd=ROOT, timeout=300,
    )  # fmt: skip


def report(out: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((out / "report.json").read_text())
    return document


def test_auto_merges_model_comments_with_static_findings_and_falls_back(
    sample: Path, tmp_path: Path, servers: tuple[WireServer, WireServer]
) -> None:
    openai, claude = servers
    out = tmp_path / "ai"
    done = run(sample, out, "--reviewer", "auto", OPENAI_BASE_URL=f"{openai.url}/v1",
               OPENAI_API_KEY=OPENAI_KEY, ANTHROPIC_BASE_URL=claude.url,
               ANTHROPIC_API_KEY=ANTHROPIC_KEY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    states = [line.strip() for line in done.stderr.splitlines()]
    assert "ReviewChunks" in states and "MergeReview" in states  # the platform path's Map
    got = report(out)
    ai = got["review"]["ai"]
    assert ai["mode"] == "ai" and ai["totals"]["failed"] == 0
    assert ai["models"] == ["anthropic:claude-sonnet-4-0"]
    for chunk in ai["chunks"]:
        outcomes = [(a["provider"], a["outcome"]) for a in chunk["attempts"]]
        assert outcomes[0] == ("openai", "ProviderUnavailable")  # gpt-4.1 first, it fails
        assert outcomes[-1] == ("anthropic", "ok")
        assert chunk["input_tokens"] > 0 and chunk["cost_usd"] > 0 and chunk["latency_ms"] > 0
        assert "openai/gpt-4.1" in chunk["route"]
    assert ai["totals"]["cost_usd"] > 0 and ai["totals"]["input_tokens"] > 0
    comments = got["review"]["comments"]
    by = {c["reviewer"] for c in comments}
    assert "anthropic:claude-sonnet-4-0" in by  # the model's own comments
    assert any(r.startswith("offline") for r in by)  # the offline reviewer's stay
    fingerprints = {f["fingerprint"] for f in got["findings"]}
    grounded = [c for c in comments if c["reviewer"] != "offline" and c["fingerprints"]]
    assert grounded and all(set(c["fingerprints"]) <= fingerprints for c in grounded)
    assert ai["comment_outcomes"].get("kept", 0) + ai["comment_outcomes"].get(
        "merged_with_static", 0) > 0  # fmt: skip
    assert {n["path"]: n["reason"] for n in ai["not_reviewed"]} == {
        "src/shop/legacy/broken.py": "not analysed code (no metrics): not sent to a model"
    }  # it does not parse; every other file was sent
    assert "AI review (auto)" in done.stderr and "anthropic:claude-sonnet-4-0" in done.stderr
    for name in ("report.json", "report.md", "report.html", "report.sarif", "platform.log"):
        text = (out / name).read_text()
        assert OPENAI_KEY not in text and ANTHROPIC_KEY not in text, name
    assert "anthropic:claude-sonnet-4-0" in (out / "report.md").read_text()
    sarif = json.loads((out / "report.sarif").read_text())
    assert any(r["ruleId"] == "CR-AI-REVIEW" for r in sarif["runs"][0]["results"])
    # every model call carried coderev's prompt and its reply schema
    assert claude.app.seen and all("<reply_schema>" in json.dumps(s.body)
                                   for s in claude.app.seen if s.api == "messages")  # fmt: skip


def test_without_a_provider_auto_runs_offline_and_says_so(sample: Path, tmp_path: Path) -> None:
    ai_out, offline_out = tmp_path / "auto", tmp_path / "offline"
    auto = run(sample, ai_out, "-q", CODEREV_REVIEWER="auto")
    offline = run(sample, offline_out, "-q")
    assert auto.returncode == 0 and offline.returncode == 0, auto.stderr + offline.stderr
    ai = report(ai_out)["review"]["ai"]
    assert (ai["requested"], ai["mode"], ai["chunks"]) == ("auto", "offline", [])
    assert "no AI provider is configured" in ai["note"]
    assert "no AI provider is configured" in (ai_out / "report.md").read_text()
    plain = report(offline_out)
    assert "ai" not in plain["review"] and plain["schema_version"] == "1.1"
    strip = ("reviewer", "confidence")
    comments = [{k: v for k, v in c.items() if k not in strip}
                for c in report(ai_out)["review"]["comments"]]  # fmt: skip
    assert comments == plain["review"]["comments"]  # the offline reviewer's, word for word
    pinned = run(sample, tmp_path / "pinned", "-q", "--reviewer", "openai:gpt-4.1")
    assert pinned.returncode == 2 and "no AI provider is configured" in pinned.stderr


def test_the_direct_engine_reviews_with_the_same_models(
    sample: Path, tmp_path: Path, servers: tuple[WireServer, WireServer]
) -> None:
    openai, claude = servers
    out = tmp_path / "direct"
    done = run(sample, out, "--via", "direct", "-q", "--reviewer", "auto",
               OPENAI_BASE_URL=f"{openai.url}/v1", OPENAI_API_KEY=OPENAI_KEY,
               ANTHROPIC_BASE_URL=claude.url, ANTHROPIC_API_KEY=ANTHROPIC_KEY)  # fmt: skip
    assert done.returncode == 0, done.stderr
    ai = report(out)["review"]["ai"]
    assert ai["mode"] == "ai" and ai["models"] == ["anthropic:claude-sonnet-4-0"]
    assert [a["outcome"] for a in ai["chunks"][0]["attempts"]][-1] == "ok"
    assert any(c["reviewer"] == "anthropic:claude-sonnet-4-0"
               for c in report(out)["review"]["comments"])  # fmt: skip
