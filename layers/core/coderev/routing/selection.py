"""Choosing the candidates of one task: the rule's selectors over the catalog's models, minus
those that cannot or should not take it, each with the reason it is in or out.

A pure function of its inputs (catalog models, their health, the breaker's state, the time):
the same inputs give the same decision, which is what makes it explainable after the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from coderev.domain.errors import ConfigError
from coderev.ports import ModelInfo
from coderev.routing.model import REVIEWER_KINDS, Candidate, RouteDecision, RouteTask, cost_usd

if TYPE_CHECKING:
    from collections.abc import Callable

    from coderev.ports import ProviderHealth
    from coderev.routing.breaker import BreakerState
    from coderev.routing.rules import RuleSet

__all__ = ["decide", "parse_reviewer"]


def parse_reviewer(reviewer: str) -> tuple[str, str] | None:
    """("openai", "gpt-4.1") for "openai:gpt-4.1"; None for "auto"; ConfigError otherwise."""
    if reviewer == "auto":
        return None
    kind, _, model = reviewer.partition(":")
    if kind not in REVIEWER_KINDS or not model.strip():
        raise ConfigError(
            f"reviewer {reviewer!r}: expected auto, openai:MODEL, anthropic:MODEL or hf:MODEL"
        )
    return kind, model.strip()


def decide(
    task: RouteTask,
    *,
    rules: RuleSet,
    arm: str | None,
    models: tuple[ModelInfo, ...],
    health: Mapping[str, ProviderHealth],
    breaker_state: Callable[[str], BreakerState],
    now: float,
    health_max_age_s: float,
) -> RouteDecision:
    """The decision for `task` (its budget already resolved); see the module docstring."""
    expected_out = rules.expected_output_tokens
    pinned = parse_reviewer(task.reviewer)
    skipped: list[tuple[str, str, str]] = []
    chosen: list[Candidate] = []
    seen: set[tuple[str, str]] = set()
    states: dict[str, BreakerState] = {}

    def why_not(m: ModelInfo) -> str | None:
        if not m.enabled:
            return "disabled in the provider registry"
        out = min(expected_out, m.max_output_tokens)
        if task.input_tokens + out > m.context_window:
            return (
                f"the chunk ({task.input_tokens:,} input + ~{out:,} reply tokens) exceeds "
                f"its context window of {m.context_window:,}"
            )
        state = states.get(m.provider) or states.setdefault(m.provider, breaker_state(m.provider))
        if state.status == "open":
            return state.describe(now)
        probe = health.get(m.provider)
        if probe is not None and not probe.ok:
            checked = probe.checked_at.timestamp()
            fresh = now - checked <= health_max_age_s
            if fresh and (state.last_success_at is None or checked > state.last_success_at):
                return (
                    f"provider_health probe failed at {probe.checked_at.isoformat()} "
                    f"({probe.consecutive_failures} in a row): {probe.error or 'no detail'}"
                )
        estimate = cost_usd(m, task.input_tokens, out)
        if task.budget_usd is not None and estimate > task.budget_usd:
            return (
                f"estimated ${estimate:.4f} exceeds the analysis' remaining budget "
                f"${task.budget_usd:.4f}"
            )
        return None

    def consider(m: ModelInfo, prompt_version: str, reason: str) -> None:
        seen.add((m.provider, m.model))
        refusal = why_not(m)
        if refusal is not None:
            skipped.append((m.provider, m.model, refusal))
            return
        out = min(expected_out, m.max_output_tokens)
        estimate = cost_usd(m, task.input_tokens, out)
        chosen.append(
            Candidate(
                m,
                prompt_version,
                f"{reason}; estimated ${estimate:.4f} for "
                f"{task.input_tokens:,} input + ~{out:,} reply tokens",
            )
        )

    if pinned is not None:
        kind, name = pinned
        rule = f"pinned@{rules.version}"
        matches = sorted(
            (m for m in models if m.model == name and kind in (m.kind, m.provider)),
            key=lambda m: (m.provider != kind, m.provider),
        )
        if not matches:
            serving = [m for m in models if m.kind == kind and m.enabled]
            if serving:
                # A model the catalog does not list, on a provider it does: still callable.
                matches = [
                    replace(serving[0], model=name, input_usd_per_mtok=0.0, output_usd_per_mtok=0.0)
                ]
                note = " (not in the catalog: its price is unknown, counted as $0)"
            else:
                skipped.append(
                    (
                        kind,
                        name,
                        f"no enabled {kind} provider (set its API key variable or register one)",
                    )
                )
                matches, note = [], ""
        else:
            note = ""
        for m in matches:  # the same model on several providers: fallbacks of each other
            consider(m, rules.prompt_version, f"pinned by reviewer {task.reviewer}{note}")
        for m in models:
            if (m.provider, m.model) not in seen:
                skipped.append((m.provider, m.model, f"reviewer is pinned to {task.reviewer}"))
        return RouteDecision(task, tuple(chosen), tuple(skipped), rule, arm)

    chosen_rule = rules.choose(task, arm, task.budget_usd)
    rule = f"{chosen_rule.name}@{rules.version}"
    for selector in chosen_rule.candidates:
        admitted = [m for m in models if selector.admits(m) and (m.provider, m.model) not in seen]
        admitted.sort(
            key=lambda m: (cost_usd(m, task.input_tokens, expected_out), m.provider, m.model)
        )
        prompt = selector.prompt_version or chosen_rule.prompt_version or rules.prompt_version
        why = selector.why or f"admitted by {selector.describe()}"
        for m in admitted:
            consider(m, prompt, f"rule {chosen_rule.name} ({chosen_rule.why}): {why}")
    for m in models:
        if (m.provider, m.model) not in seen:
            admits = "; ".join(s.describe() for s in chosen_rule.candidates)
            skipped.append((m.provider, m.model, f"rule {chosen_rule.name} admits only: {admits}"))
    return RouteDecision(task, tuple(chosen), tuple(skipped), rule, arm)
