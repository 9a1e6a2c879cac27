"""What routing takes and gives: a task, the ordered candidates chosen for it with the reason
for each, and the record of a routed call (every attempt, its outcome, tokens and cost).

Frozen dataclasses: a decision is a value that can be shown (`explain()`), recorded with the
analysis (`as_dict()`) and read back (`RouteDecision.from_dict`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from coderev.ports import Completion, ModelInfo

__all__ = ["Attempt", "CallResult", "Candidate", "RouteDecision", "RouteTask", "cost_usd"]

REVIEWER_KINDS = ("openai", "anthropic", "hf")


@dataclass(frozen=True)
class RouteTask:
    """One model task to route (a review chunk: its language and input size).

    `reviewer`: "auto" lets the rules choose; "openai:MODEL", "anthropic:MODEL" or "hf:MODEL"
    pins that model. `budget_usd`: what the whole analysis may still cost (None: the
    router's default, CODEREV_ANALYSIS_BUDGET_USD, else no limit). `project` makes the
    experiment arm sticky.
    """

    kind: str
    language: str
    input_tokens: int
    tenant: str = "default"
    tier: str = "standard"
    project: str | None = None
    budget_usd: float | None = None
    reviewer: str = "auto"


@dataclass(frozen=True)
class Candidate:
    """A model the task may go to, the prompt version to render for it, and why it is here."""

    model: ModelInfo
    prompt_version: str
    reason: str


@dataclass(frozen=True)
class RouteDecision:
    """The ordered candidates for a task, those left out (provider, model, reason), the rule
    that chose them ("name@rules-version") and the experiment arm (None: no experiment)."""

    task: RouteTask
    candidates: tuple[Candidate, ...]
    skipped: tuple[tuple[str, str, str], ...]
    rule: str
    arm: str | None

    def explain(self) -> str:
        """The decision as a few lines a person reads: the task, the rule, each candidate
        in order with its reason, each model left out and why."""
        task = self.task
        budget = "none" if task.budget_usd is None else f"${task.budget_usd:.4f}"
        lines = [
            f"task: {task.kind}, {task.language}, {task.input_tokens:,} input tokens, "
            f"tenant {task.tenant} ({task.tier}), budget {budget}, reviewer {task.reviewer}"
            + (f", project {task.project}" if task.project else ""),
            f"rule: {self.rule}",
            f"experiment arm: {self.arm or 'none'}",
        ]
        if self.candidates:
            lines.append("candidates, in the order they are tried:")
            for i, c in enumerate(self.candidates, 1):
                lines.append(
                    f"  {i}. {c.model.provider}/{c.model.model} (prompt {c.prompt_version}): "
                    f"{c.reason}"
                )
        else:
            lines.append("candidates: none - no model can take this task")
        if self.skipped:
            lines.append("left out:")
            lines.extend(f"  - {p}/{m}: {why}" for p, m, why in self.skipped)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: what the preview answers and the analysis records."""
        return {
            "task": asdict(self.task),
            "rule": self.rule,
            "arm": self.arm,
            "candidates": [
                {"model": asdict(c.model), "prompt_version": c.prompt_version, "reason": c.reason}
                for c in self.candidates
            ],
            "skipped": [{"provider": p, "model": m, "reason": why} for p, m, why in self.skipped],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RouteDecision:
        """The decision `as_dict` gave (e.g. passed between state machine steps)."""
        return cls(
            task=RouteTask(**data["task"]),
            candidates=tuple(
                Candidate(ModelInfo(**c["model"]), c["prompt_version"], c["reason"])
                for c in data["candidates"]
            ),
            skipped=tuple((s["provider"], s["model"], s["reason"]) for s in data["skipped"]),
            rule=data["rule"],
            arm=data.get("arm"),
        )


@dataclass(frozen=True)
class Attempt:
    """One try of one candidate. `outcome`: "ok", or the error's type name
    (ProviderRateLimited, ProviderInvalidOutput, ...), or a routing refusal:
    "QuotaExceeded", "OverBudget", "CircuitOpen". `detail` never holds a key."""

    provider: str
    model: str
    outcome: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    cost_usd: float
    detail: str = ""


@dataclass(frozen=True)
class CallResult[T]:
    """What a routed call gave: the parsed value (None when every candidate failed), the
    completion and candidate that gave it, every attempt in order, and the total cost
    (failed attempts that used tokens included)."""

    value: T | None
    completion: Completion | None
    candidate: Candidate | None
    attempts: tuple[Attempt, ...]
    cost_usd: float

    @property
    def ok(self) -> bool:
        return self.value is not None and self.completion is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the value (the caller records what it parsed)."""
        return {
            "ok": self.ok,
            "provider": self.candidate.model.provider if self.candidate else None,
            "model": self.candidate.model.model if self.candidate else None,
            "prompt_version": self.candidate.prompt_version if self.candidate else None,
            "cost_usd": self.cost_usd,
            "attempts": [asdict(a) for a in self.attempts],
        }


def cost_usd(model: ModelInfo, input_tokens: int, output_tokens: int) -> float:
    """What `model` charges for these tokens (prices are per million tokens)."""
    return (
        input_tokens * model.input_usd_per_mtok + output_tokens * model.output_usd_per_mtok
    ) / 1_000_000
