"""Router.route: which models a task goes to, in which order, and why the others do not."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.routing.fakes import FakeCatalog, FakeClock, MemoryQuotaStore, health, model

from coderev.domain.errors import ConfigError
from coderev.routing import (
    HashedArms,
    InMemoryBreaker,
    RouteDecision,
    Router,
    RouteTask,
    load_rules,
)

CATALOG = [
    model("openai", "gpt-mini", tier="economy", price=(0.15, 0.6)),
    model("openai", "gpt-std", tier="standard", price=(2.0, 8.0)),
    model("anthropic", "claude-std", tier="standard", price=(3.0, 15.0)),
    model("anthropic", "claude-max", tier="premium", price=(15.0, 75.0), context=200_000),
    model("hf", "qwen-small", tier="economy", price=(0.1, 0.1), context=8_000),
]


def _router(models=CATALOG, *, clock: FakeClock | None = None, **kwargs) -> Router:  # type: ignore[no-untyped-def]
    clock = clock or FakeClock()
    kwargs.setdefault("breaker", InMemoryBreaker(clock=clock))
    return Router(
        FakeCatalog(models, health=kwargs.pop("health", None)),
        MemoryQuotaStore(),
        clock=clock,
        **kwargs,
    )


def _order(decision: RouteDecision) -> list[str]:
    return [f"{c.model.provider}/{c.model.model}" for c in decision.candidates]


def _skipped(decision: RouteDecision) -> dict[str, str]:
    return {f"{p}/{m}": why for p, m, why in decision.skipped}


def test_an_ordinary_chunk_goes_to_standard_models_cheapest_first_then_the_fallbacks() -> None:
    decision = _router().route(RouteTask("review_chunk", "python", 3000))
    assert decision.rule == "default@rules-v1"
    assert _order(decision) == [
        "openai/gpt-std",
        "anthropic/claude-std",
        "hf/qwen-small",
        "openai/gpt-mini",
        "anthropic/claude-max",
    ]
    first = decision.candidates[0]
    assert first.prompt_version == "review-v1"
    assert "standard tier" in first.reason and "estimated $0.0140" in first.reason
    assert decision.skipped == ()
    text = decision.explain()
    assert "rule: default@rules-v1" in text
    assert "1. openai/gpt-std (prompt review-v1): rule default" in text


def test_a_tight_budget_routes_economy_first_and_says_why_premium_is_left_out() -> None:
    decision = _router().route(RouteTask("review_chunk", "python", 3000, budget_usd=0.01))
    assert decision.rule == "tight-budget@rules-v1"
    assert _order(decision)[:2] == ["hf/qwen-small", "openai/gpt-mini"]
    skipped = _skipped(decision)
    assert (
        "rule tight-budget admits only: tier economy; tier standard"
        in (skipped["anthropic/claude-max"])
    )
    # gpt-std would cost ~$0.014 here: more than the $0.01 the analysis has left
    assert "exceeds the analysis' remaining budget $0.0100" in skipped["openai/gpt-std"]


def test_the_default_budget_applies_when_the_task_has_none() -> None:
    decision = _router(default_budget_usd=0.02).route(RouteTask("review_chunk", "go", 3000))
    assert decision.task.budget_usd == 0.02
    assert decision.rule == "tight-budget@rules-v1"


def test_a_large_chunk_prefers_long_context_and_leaves_out_models_it_does_not_fit() -> None:
    decision = _router().route(RouteTask("review_chunk", "python", 150_000))
    assert decision.rule == "large-chunk@rules-v1"
    assert _order(decision) == ["anthropic/claude-max"]
    assert "exceeds its context window of 128,000" in _skipped(decision)["openai/gpt-std"]


def test_tenant_tiers_choose_their_rule() -> None:
    router = _router()
    premium = router.route(RouteTask("review_chunk", "python", 3000, tier="premium"))
    assert premium.rule == "premium-tenant@rules-v1"
    assert _order(premium)[0] == "anthropic/claude-max"
    economy = router.route(RouteTask("review_chunk", "python", 3000, tier="economy"))
    assert economy.rule == "economy-tenant@rules-v1"
    assert _order(economy)[0] == "hf/qwen-small"


def test_disabled_models_are_left_out() -> None:
    models = [*CATALOG[:1], model("openai", "gpt-std", enabled=False)]
    decision = _router(models).route(RouteTask("review_chunk", "python", 100))
    assert _skipped(decision)["openai/gpt-std"] == "disabled in the provider registry"


def test_a_provider_whose_circuit_is_open_is_left_out_until_its_cooldown_passes() -> None:
    clock = FakeClock()
    breaker = InMemoryBreaker(failures=2, cooldown_s=30, clock=clock)
    router = _router(clock=clock, breaker=breaker)
    for _ in range(2):
        breaker.record_failure("openai", "ProviderUnavailable")
    decision = router.route(RouteTask("review_chunk", "python", 3000))
    assert not any(c.model.provider == "openai" for c in decision.candidates)
    assert _skipped(decision)["openai/gpt-std"] == (
        "circuit open after 2 failure(s) (last: ProviderUnavailable); tried again in 30 s"
    )
    clock.now += 31
    assert "openai/gpt-std" in _order(router.route(RouteTask("review_chunk", "python", 3000)))


def test_a_failed_health_probe_leaves_the_provider_out_until_a_live_call_succeeds() -> None:
    clock = FakeClock()
    probe = health("anthropic", ok=False, at=clock.now - 60, error="ProviderUnavailable: 503")
    breaker = InMemoryBreaker(clock=clock)
    router = _router(clock=clock, breaker=breaker, health={"anthropic": probe})
    decision = router.route(RouteTask("review_chunk", "python", 3000))
    assert "provider_health probe failed at" in _skipped(decision)["anthropic/claude-std"]
    assert "ProviderUnavailable: 503" in _skipped(decision)["anthropic/claude-std"]
    breaker.record_success("anthropic")  # newer news than the probe
    assert "anthropic/claude-std" in _order(router.route(RouteTask("review_chunk", "py", 3000)))


def test_a_stale_failed_probe_is_ignored() -> None:
    clock = FakeClock()
    probe = health("anthropic", ok=False, at=clock.now - 3600)
    decision = _router(clock=clock, health={"anthropic": probe}).route(
        RouteTask("review_chunk", "python", 3000)
    )
    assert "anthropic/claude-std" in _order(decision)


def test_a_pinned_reviewer_routes_to_that_model_only() -> None:
    decision = _router().route(
        RouteTask("review_chunk", "python", 3000, reviewer="anthropic:claude-std")
    )
    assert decision.rule == "pinned@rules-v1"
    assert _order(decision) == ["anthropic/claude-std"]
    assert _skipped(decision)["openai/gpt-std"] == "reviewer is pinned to anthropic:claude-std"


def test_a_pinned_model_the_catalog_does_not_list_goes_to_a_provider_of_its_kind() -> None:
    decision = _router().route(
        RouteTask("review_chunk", "python", 3000, reviewer="openai:my-finetune")
    )
    (only,) = decision.candidates
    assert (only.model.provider, only.model.model) == ("openai", "my-finetune")
    assert "not in the catalog: its price is unknown" in only.reason


def test_a_pinned_kind_without_a_provider_has_no_candidate_and_says_so() -> None:
    models = [m for m in CATALOG if m.kind != "hf"]
    decision = _router(models).route(RouteTask("review_chunk", "python", 10, reviewer="hf:x"))
    assert decision.candidates == ()
    assert ("hf", "x", "no enabled hf provider (set its API key variable or register one)") in (
        decision.skipped
    )
    assert "candidates: none" in decision.explain()


@pytest.mark.parametrize("reviewer", ["openai", "gemini:pro", "openai:", "offline"])
def test_an_unknown_reviewer_is_refused(reviewer: str) -> None:
    with pytest.raises(ConfigError, match="expected auto, openai:MODEL"):
        _router().route(RouteTask("review_chunk", "python", 10, reviewer=reviewer))


def test_no_catalog_model_means_no_candidate() -> None:
    decision = _router([]).route(RouteTask("review_chunk", "python", 10))
    assert decision.candidates == () and decision.skipped == ()


def test_a_decision_survives_its_json_form() -> None:
    decision = _router().route(RouteTask("review_chunk", "python", 3000, project="p1"))
    assert RouteDecision.from_dict(decision.as_dict()) == decision


# --- rules as data --------------------------------------------------------------------------


def test_rules_from_a_file_match_language_and_arm(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("""
version = "team-3"
prompt_version = "review-v2"
[[rules]]
name = "rust-on-claude"
when = { languages = ["Rust"], arms = ["b"] }
candidates = [
    { provider = "anthropic", why = "arm b tries Claude on Rust", prompt_version = "review-v3" },
]
[[rules]]
name = "rest"
candidates = [{ model = "gpt-*" }]
""")
    arms = HashedArms("exp-1", {"a": 0, "b": 1})  # every project in arm b
    router = _router(rules=load_rules(rules), arms=arms)
    rust = router.route(RouteTask("review_chunk", "rust", 100, project="p"))
    assert (rust.rule, rust.arm) == ("rust-on-claude@team-3", "b")
    assert _order(rust) == ["anthropic/claude-std", "anthropic/claude-max"]
    assert {c.prompt_version for c in rust.candidates} == {"review-v3"}
    no_project = router.route(RouteTask("review_chunk", "rust", 100))
    assert (no_project.rule, no_project.arm) == ("rest@team-3", None)
    assert _order(no_project) == ["openai/gpt-mini", "openai/gpt-std"]
    assert no_project.candidates[0].reason.startswith("rule rest (): admitted by model gpt-*")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'version="1"\nprompt_version="p"\n[[rules]]\nname="a"\nwhen={languages=["go"]}\n'
            'candidates=[{tier="economy"}]',
            "the last rule ('a') must have no `when`",
        ),
        (
            'version="1"\nprompt_version="p"\n[[rules]]\nname="a"\ncandidates=[{teir="x"}]',
            "rules.0.candidates.0.teir: Extra inputs are not permitted",
        ),
        ('version="1"\nprompt_version="p"\nrules=[]', "rules: Tuple should have at least 1"),
        ("version = ", "cannot read the routing rules"),
    ],
)
def test_an_invalid_rules_file_is_refused_with_where_and_why(
    tmp_path: Path, body: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match="routing rules") as caught:
        load_rules(path)
    assert message in str(caught.value)


def test_a_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the routing rules"):
        load_rules(tmp_path / "nope.toml")


# --- experiment arms ------------------------------------------------------------------------


def test_arms_are_sticky_per_project_and_follow_the_weights() -> None:
    arms = HashedArms("exp-7", {"control": 3, "candidate": 1})
    projects = [f"project-{i}" for i in range(4000)]
    first = [arms.assign(RouteTask("review_chunk", "py", 1, project=p)) for p in projects]
    again = [
        HashedArms("exp-7", {"candidate": 1, "control": 3}).assign(
            RouteTask("review_chunk", "go", 99, project=p)
        )
        for p in projects
    ]
    assert first == again  # same project, same arm: whatever the task, the process, the order
    share = first.count("candidate") / len(first)
    assert 0.22 < share < 0.28
    other = [
        HashedArms("exp-8", {"control": 3, "candidate": 1}).assign(
            RouteTask("review_chunk", "py", 1, project=p)
        )
        for p in projects
    ]
    assert other != first  # another experiment splits projects independently


def test_no_experiment_by_default() -> None:
    decision = _router().route(RouteTask("review_chunk", "python", 10, project="p"))
    assert decision.arm is None
