"""`coderev route`: the decision as JSON, or as text with --explain; bad options exit 2."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.unit.routing.fakes import FakeCatalog, FakeClock, MemoryQuotaStore, model
from typer.testing import CliRunner

from coderev import bootstrap
from coderev.cli import app
from coderev.routing import InMemoryBreaker, Router

MODELS = [model("openai", "gpt-std"), model("hf", "qwen-small", tier="economy", price=(0.1, 0.1))]


@pytest.fixture(autouse=True)
def routed() -> Iterator[None]:
    clock = FakeClock()
    router = Router(FakeCatalog(MODELS), MemoryQuotaStore(), breaker=InMemoryBreaker(clock=clock),
                    clock=clock)  # fmt: skip
    built = bootstrap.router
    bootstrap.router = lambda: router  # type: ignore[assignment]
    yield
    bootstrap.router = built


def test_route_explain_prints_every_candidate_and_its_reason() -> None:
    run = CliRunner().invoke(app, ["route", "--explain", "--language", "go", "--tokens", "900"])
    assert run.exit_code == 0, run.output
    assert run.output.splitlines()[:3] == [
        "task: review_chunk, go, 900 input tokens, tenant default (standard), budget none, "
        "reviewer auto",
        "rule: default@rules-v1",
        "experiment arm: none",
    ]
    assert "  1. openai/gpt-std (prompt review-v1): rule default (" in run.output
    assert "  2. hf/qwen-small (prompt review-v1): rule default (" in run.output


def test_route_prints_the_decision_as_the_preview_answers_it() -> None:
    run = CliRunner().invoke(app, ["route", "--reviewer", "hf:qwen-small", "--budget", "1"])
    assert run.exit_code == 0, run.output
    answer = json.loads(run.output)
    assert answer["rule"] == "pinned@rules-v1"
    assert [c["model"] for c in answer["candidates"]] == ["qwen-small"]
    assert answer["task"]["budget_usd"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--reviewer", "gemini:pro"], "--reviewer: String should match pattern"),
        (["--tier", "gold"], "--tier: Input should be 'economy', 'standard' or 'premium'"),
        (["--budget", "-1"], "--budget: Input should be greater than or equal to 0"),
    ],
)
def test_route_refuses_bad_options_with_exit_2(args: list[str], message: str) -> None:
    run = CliRunner().invoke(app, ["route", *args])
    assert run.exit_code == 2
    assert message in " ".join(run.output.split())
