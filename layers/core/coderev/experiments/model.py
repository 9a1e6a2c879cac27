"""The experiments room's records: review configurations, experiments and their plan, paired
observations and feedback on review comments (frozen dataclasses; pydantic is at the edge).

A review configuration is everything that decides what a review says: the reviewer (offline
or a routed AI), the model and prompt version, the routing rules' version, the rule
catalogue's version and thresholds, and the severity policy. It is identified by its name
and version (`ref`, e.g. "strict@2"); a version is never changed once written (a change is a
new version), and `digest` (SHA-256 of its canonical JSON) names its content in reports.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "ARMS",
    "FEEDBACK_VERDICTS",
    "ConfigurationSpec",
    "Experiment",
    "ExperimentPlan",
    "Feedback",
    "Observation",
    "Population",
    "ReviewConfiguration",
    "Transition",
    "parse_ref",
]

ARMS = ("baseline", "candidate")
FEEDBACK_VERDICTS = ("accepted", "dismissed", "wrong")
"""accepted: the comment was acted on; dismissed: noise; wrong: the comment is mistaken."""


def parse_ref(ref: str) -> tuple[str, int | None]:
    """ "name@3" -> ("name", 3); "name" -> ("name", None): the newest version."""
    name, at, version = ref.partition("@")
    if not at:
        return name, None
    if not version.isdigit() or int(version) < 1:
        from coderev.experiments.errors import InvalidExperimentError

        raise InvalidExperimentError(f"configuration reference {ref!r} is not NAME or NAME@N")
    return name, int(version)


@dataclass(frozen=True, slots=True)
class ConfigurationSpec:
    reviewer: str = "offline"  # offline, auto, openai:MODEL, anthropic:MODEL, hf:MODEL
    model: str | None = None
    prompt_version: str | None = None
    routing_rules_version: str | None = None
    rule_catalogue_version: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)  # domain.config.Thresholds
    # {"min_severity": "low", "rules": {"CR-MET-005": "off", "S101": "info"}}
    severity_policy: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reviewer": self.reviewer,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "routing_rules_version": self.routing_rules_version,
            "rule_catalogue_version": self.rule_catalogue_version,
            "thresholds": dict(sorted(self.thresholds.items())),
            "severity_policy": json.loads(json.dumps(self.severity_policy, sort_keys=True)),
        }

    @classmethod
    def of(cls, value: Mapping[str, Any]) -> ConfigurationSpec:
        return cls(
            reviewer=value.get("reviewer") or "offline", model=value.get("model"),
            prompt_version=value.get("prompt_version"),
            routing_rules_version=value.get("routing_rules_version"),
            rule_catalogue_version=value.get("rule_catalogue_version"),
            thresholds=dict(value.get("thresholds") or {}),
            severity_policy=dict(value.get("severity_policy") or {}),
        )  # fmt: skip

    @property
    def digest(self) -> str:
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ReviewConfiguration:
    tenant: str
    name: str
    version: int
    spec: ConfigurationSpec
    description: str
    created_by: str
    created_at: datetime
    used_at: datetime | None = None  # first used by a running experiment or a review

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def digest(self) -> str:
        return self.spec.digest


@dataclass(frozen=True, slots=True)
class Population:
    """Who an experiment runs on: live analyses of `projects` (empty with kind "projects":
    every project of the tenant), and/or the labelled evaluation set `corpus`."""

    projects: tuple[str, ...] = ()
    corpus: str | None = None  # "precision": benchmarks/precision
    live: bool = True

    def includes(self, project: str | None) -> bool:
        return self.live and bool(project) and (not self.projects or project in self.projects)


@dataclass(frozen=True, slots=True)
class ExperimentPlan:
    """Chosen up front, before any observation: what decides, what must not get worse."""

    primary_metric: str
    guard_metrics: tuple[str, ...] = ()
    mde: float = 0.05  # minimum detectable effect on the primary metric (absolute)
    alpha: float = 0.05
    power: float = 0.8
    split: float = 50.0  # share of live projects (percent) in the candidate arm


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    tenant: str
    name: str
    baseline: str  # configuration refs, "name@version"
    candidate: str
    population: Population
    plan: ExperimentPlan
    state: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    experiment_id: str
    seq: int  # 1, 2, ... per experiment (numbered by the repository on a step)
    from_state: str | None
    to_state: str
    verb: str
    actor: str
    reason: str | None
    event_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Observation:
    """One arm's outcome on one task (an analysis, or a file of the evaluation set):
    metric name -> a number, a bool, or [numerator, denominator] for a ratio."""

    experiment_id: str
    source: str  # "live" or "offline"
    task: str
    arm: str
    configuration: str
    metrics: Mapping[str, Any]
    project: str | None = None
    analysis_id: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feedback:
    tenant: str
    analysis_id: str
    fingerprint: str
    verdict: str
    actor: str
    project: str | None = None
    rule_id: str | None = None
    model: str | None = None
    configuration: str | None = None
    comment: str | None = None
    at: datetime | None = None
