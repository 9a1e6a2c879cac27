"""What promotion works on, as frozen dataclasses: a review configuration, the experiment it is
the candidate of (as the promotion room reads it), production releases, quarantine entries and
decision records."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "DecisionRecord",
    "ExperimentView",
    "FreezeWindow",
    "PolicyRef",
    "PromotionPlan",
    "QuarantineEntry",
    "Release",
    "ReviewConfig",
]

ReleaseKind = Literal["initial", "promote", "rollback"]


@dataclass(frozen=True, slots=True)
class ReviewConfig:
    """A review configuration (reviewer, model + prompt version, routing rules version, rule
    catalogue version and thresholds, severity policy) at one immutable version."""

    id: str
    version: int
    body: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "body": dict(self.body)}

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> ReviewConfig:
        return cls(str(value["id"]), int(value["version"]), dict(value.get("body") or {}))


@dataclass(frozen=True, slots=True)
class PromotionPlan:
    """What the experiment chose up front and the policy judges by."""

    primary: str
    guards: tuple[str, ...] = ()
    min_samples: int = 30
    alpha: float = 0.05
    mde: float | None = None
    seed: int = 0
    cost_metric: str = "cost_usd"
    cost_ceiling: float | None = None  # the candidate's mean cost per task; None: no ceiling
    # the regression each guard tolerates, in its units (else the comparison's margin)
    guard_margins: Mapping[str, float] = field(default_factory=dict)
    # metrics outside the comparison's catalogue: {name: {"kind", "higher_is_better"}}
    declared_metrics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    power: float = 0.8

    def as_dict(self) -> dict[str, Any]:
        return {
            "primary": self.primary, "guards": list(self.guards),
            "min_samples": self.min_samples, "alpha": self.alpha, "mde": self.mde,
            "seed": self.seed, "cost_metric": self.cost_metric, "cost_ceiling": self.cost_ceiling,
            "guard_margins": dict(self.guard_margins), "power": self.power,
            "declared_metrics": {k: dict(v) for k, v in self.declared_metrics.items()},
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExperimentView:
    """An experiment as promotion needs it: the two configurations, where the candidate would
    go (tenant, and project or None for the whole tenant) and the plan."""

    id: str
    tenant: str
    project: str | None
    status: str
    baseline: ReviewConfig
    candidate: ReviewConfig
    plan: PromotionPlan

    @property
    def scope(self) -> str:
        return self.project or ""


@dataclass(frozen=True, slots=True)
class Release:
    """One version of production for a tenant (and project): the configuration in force from
    `created_at` until the next version. Versions only grow; a rollback is a new version."""

    tenant: str
    project: str | None
    version: int
    config: ReviewConfig
    kind: ReleaseKind
    actor: str
    created_at: datetime
    previous_version: int | None = None
    experiment_id: str | None = None
    promotion_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant, "project": self.project, "version": self.version,
            "config": self.config.as_dict(), "kind": self.kind, "actor": self.actor,
            "created_at": self.created_at.isoformat(), "previous_version": self.previous_version,
            "experiment_id": self.experiment_id, "promotion_id": self.promotion_id,
            "reason": self.reason,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """A candidate the policy refused, with the rules that refused it."""

    promotion_id: str
    tenant: str
    project: str | None
    experiment_id: str
    config: ReviewConfig
    reasons: tuple[str, ...]
    actor: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "promotion_id": self.promotion_id, "tenant": self.tenant, "project": self.project,
            "experiment_id": self.experiment_id, "config": self.config.as_dict(),
            "reasons": list(self.reasons), "actor": self.actor,
            "created_at": self.created_at.isoformat(),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """Which policy decided: the document's path, the rules' version and the bundle's hash
    (sha256 over every module's name and source)."""

    path: str
    version: str
    bundle_hash: str


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A promotion decision, whole: the input the policy was asked with, which policy, and its
    answer; re-evaluating `input` under `policy` gives `allow` and `reasons` again."""

    promotion_id: str
    experiment_id: str
    tenant: str
    project: str | None
    requester: str
    input: Mapping[str, Any] = field(repr=False)
    policy: PolicyRef
    allow: bool
    reasons: tuple[str, ...]
    decided_at: datetime
    expected_version: int = 0  # production's version when compared (0: none yet)

    def as_dict(self) -> dict[str, Any]:
        return {
            "promotion_id": self.promotion_id, "experiment_id": self.experiment_id,
            "tenant": self.tenant, "project": self.project, "requester": self.requester,
            "input": dict(self.input),
            "policy": {"path": self.policy.path, "version": self.policy.version,
                       "bundle_hash": self.policy.bundle_hash},
            "allow": self.allow, "reasons": list(self.reasons),
            "decided_at": self.decided_at.isoformat(), "expected_version": self.expected_version,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class FreezeWindow:
    """A period in which nothing is promoted (a release, a holiday): [start, end)."""

    name: str
    start: datetime
    end: datetime

    @classmethod
    def parse_all(cls, text: str | None) -> tuple[FreezeWindow, ...]:
        """CODEREV_FREEZE_WINDOWS: a JSON list of {"name", "start", "end"}, RFC 3339 times
        with an offset. ValueError names what is wrong."""
        import json

        if not text or not text.strip():
            return ()
        items = json.loads(text)
        if not isinstance(items, list):
            raise ValueError("freeze windows are a JSON list of {name, start, end}")
        windows = []
        for item in items:
            if not isinstance(item, dict) or not {"start", "end"} <= item.keys():
                raise ValueError(f"a freeze window needs start and end: {item!r}")
            start, end = (datetime.fromisoformat(str(item[k])) for k in ("start", "end"))
            if start.tzinfo is None or end.tzinfo is None:
                raise ValueError(f"freeze window times need an offset: {item!r}")
            if end <= start:
                raise ValueError(f"a freeze window ends after it starts: {item!r}")
            windows.append(cls(str(item.get("name") or "freeze"), start, end))
        return tuple(windows)
