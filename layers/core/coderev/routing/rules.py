"""Routing rules as data: a versioned TOML file maps a task (kind, language, chunk size,
tenant tier, budget, experiment arm) to an ordered list of model selectors, each with why.

The first rule whose `when` holds chooses; a file must end with a rule that always holds.
Selectors name catalog models by provider, SDK kind, tier or model glob, never by key, so
one file serves whatever providers the registry (or the environment) holds. The packaged
file is `rules/rules-v1.toml`; CODEREV_ROUTING_RULES names another. The file is an edge of
the system, so it is read with pydantic (unknown keys refused: a typo must not silently
widen a rule).
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coderev.domain.errors import ConfigError

if TYPE_CHECKING:
    from coderev.ports import ModelInfo
    from coderev.routing.model import RouteTask

__all__ = ["DEFAULT_RULES", "Condition", "Rule", "RuleSet", "Selector", "load_rules"]

DEFAULT_RULES = Path(__file__).with_name("rules") / "rules-v1.toml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Condition(_Frozen):
    """When a rule applies; an empty list or an unset bound holds for every task."""

    kinds: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()  # the tenant's tier
    tenants: tuple[str, ...] = ()
    arms: tuple[str, ...] = ()
    min_tokens: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    min_budget_usd: float | None = Field(default=None, ge=0)
    max_budget_usd: float | None = Field(default=None, ge=0)  # an unlimited budget never fits

    def holds(self, task: RouteTask, arm: str | None, budget_usd: float | None) -> bool:
        tokens = task.input_tokens
        budget = float("inf") if budget_usd is None else budget_usd
        return (
            (not self.kinds or task.kind in self.kinds)
            and (not self.languages or task.language.lower() in {x.lower() for x in self.languages})
            and (not self.tiers or task.tier in self.tiers)
            and (not self.tenants or task.tenant in self.tenants)
            and (not self.arms or arm in self.arms)
            and (self.min_tokens is None or tokens >= self.min_tokens)
            and (self.max_tokens is None or tokens <= self.max_tokens)
            and (self.min_budget_usd is None or budget >= self.min_budget_usd)
            and (self.max_budget_usd is None or budget <= self.max_budget_usd)
        )

    def describe(self) -> str:
        """The condition in words ("always" when empty)."""
        parts = [
            f"{name} in {', '.join(values)}"
            for name, values in (
                ("kind", self.kinds),
                ("language", self.languages),
                ("tenant tier", self.tiers),
                ("tenant", self.tenants),
                ("arm", self.arms),
            )
            if values
        ]
        bounds = (
            ("input tokens >=", self.min_tokens),
            ("input tokens <=", self.max_tokens),
            ("budget >= $", self.min_budget_usd),
            ("budget <= $", self.max_budget_usd),
        )
        parts += [
            f"{name}{value:g}" if "$" in name else f"{name} {value:,}"
            for name, value in bounds
            if value is not None
        ]
        return " and ".join(parts) or "always"


class Selector(_Frozen):
    """Catalog models this entry admits (every given field must match), and why. Models a
    selector admits are tried cheapest first (estimated cost), then by provider and name."""

    provider: str | None = None
    kind: str | None = None
    model: str | None = None  # a glob: "gpt-4.1*"
    tier: str | None = None
    why: str = ""
    prompt_version: str | None = None

    def admits(self, info: ModelInfo) -> bool:
        return (
            (self.provider is None or info.provider == self.provider)
            and (self.kind is None or info.kind == self.kind)
            and (self.tier is None or info.tier == self.tier)
            and (self.model is None or fnmatchcase(info.model, self.model))
        )

    def describe(self) -> str:
        named = [
            f"{k} {v}"
            for k, v in (
                ("provider", self.provider),
                ("kind", self.kind),
                ("tier", self.tier),
                ("model", self.model),
            )
            if v
        ]
        return ", ".join(named) or "any model"


class Rule(_Frozen):
    name: str = Field(min_length=1)
    why: str = ""
    when: Condition = Condition()
    candidates: tuple[Selector, ...] = Field(min_length=1)
    prompt_version: str | None = None


class RuleSet(_Frozen):
    """A whole rules file. `expected_output_tokens`: the reply size cost estimates assume
    before a call (the call itself reserves the request's max_output_tokens of quota)."""

    version: str = Field(min_length=1)
    prompt_version: str = Field(min_length=1)
    expected_output_tokens: int = Field(default=1000, ge=1)
    rules: tuple[Rule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _last_rule_always_holds(self) -> RuleSet:
        if self.rules[-1].when != Condition():
            raise ValueError(
                f"the last rule ({self.rules[-1].name!r}) must have no `when`: "
                "some rule has to hold for every task"
            )
        return self

    def choose(self, task: RouteTask, arm: str | None, budget_usd: float | None) -> Rule:
        """The first rule that holds (the last always does)."""
        return next(r for r in self.rules if r.when.holds(task, arm, budget_usd))


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rules at `path` (default: the packaged rules-v1.toml); ConfigError naming the file
    and what is wrong when it cannot be used. Read once per path and modification time."""
    target = Path(path) if path else DEFAULT_RULES
    try:
        mtime = target.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"cannot read the routing rules {target}: {exc.strerror}") from exc
    return _load(target, mtime)


@lru_cache(maxsize=8)
def _load(path: Path, _mtime: int) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return RuleSet.model_validate(data)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the routing rules {path}: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "file"
        raise ConfigError(f"invalid routing rules {path}: {where}: {first['msg']}") from exc
