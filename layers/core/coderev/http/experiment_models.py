"""Request and response models of the experiments API (its OpenAPI document comes from them).
Every model is `defer_build=True` (see coderev.http.models)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coderev.http.models import ERROR_RESPONSES, ErrorView

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

    from coderev.experiments.model import Experiment, ReviewConfiguration, Transition

__all__ = [
    "ConfigurationCreate",
    "ConfigurationList",
    "ConfigurationView",
    "ExperimentCreate",
    "ExperimentList",
    "ExperimentView",
    "ObservationIn",
    "ObservationRecorded",
    "PairList",
    "StepIn",
]

_REQUEST = ConfigDict(extra="forbid", defer_build=True)
_VIEW = ConfigDict(frozen=True, defer_build=True)
_NAME = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
_REF = r"^[a-z0-9][a-z0-9_.-]{0,63}(@[1-9][0-9]{0,8})?$"
_METRIC = r"^[a-z][a-z0-9_]{0,63}$"
Severity = Literal["critical", "high", "medium", "low", "info"]


class SeverityPolicy(BaseModel):
    model_config = _REQUEST

    min_severity: Severity | None = Field(
        default=None, description="findings below this severity are not reported"
    )
    rules: dict[str, Severity | Literal["off"]] = Field(
        default_factory=dict, max_length=1000,
        description="per rule id: the severity it is reported at, or off",
    )  # fmt: skip


class ConfigurationCreate(BaseModel):
    """A review configuration: POSTing an existing name writes its next version."""

    model_config = _REQUEST

    name: str = Field(pattern=_NAME)
    description: str = Field(default="", max_length=1024)
    reviewer: str = Field(default="offline", pattern=r"^(offline|auto|[a-z]+:\S{1,255})$")
    model: str | None = Field(default=None, max_length=255)
    prompt_version: str | None = Field(default=None, max_length=64)
    routing_rules_version: str | None = Field(default=None, max_length=64)
    rule_catalogue_version: str | None = Field(default=None, max_length=64)
    thresholds: dict[str, float] = Field(default_factory=dict, max_length=16)
    severity_policy: SeverityPolicy = Field(default_factory=SeverityPolicy)

    def spec_values(self) -> dict[str, Any]:
        values = self.model_dump(exclude={"name", "description"})
        policy = {k: v for k, v in values["severity_policy"].items() if v}
        values["severity_policy"] = policy
        return values


class ConfigurationView(BaseModel):
    model_config = _VIEW

    ref: str
    name: str
    version: int
    digest: str
    description: str
    spec: dict[str, Any]
    created_by: str
    created_at: datetime
    used_at: datetime | None

    @classmethod
    def of(cls, c: ReviewConfiguration) -> ConfigurationView:
        return cls(ref=c.ref, name=c.name, version=c.version, digest=c.digest,
                   description=c.description, spec=c.spec.as_dict(), created_by=c.created_by,
                   created_at=c.created_at, used_at=c.used_at)  # fmt: skip


class ConfigurationList(BaseModel):
    model_config = _VIEW

    configurations: list[ConfigurationView]


class PlanIn(BaseModel):
    model_config = _REQUEST

    primary_metric: str = Field(pattern=_METRIC)
    guard_metrics: list[str] = Field(default_factory=list, max_length=32)
    mde: float = Field(default=0.05, gt=0, allow_inf_nan=False,
                       description="minimum detectable effect on the primary metric")  # fmt: skip
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.8, gt=0, lt=1)
    split: float = Field(default=50.0, gt=0, lt=100,
                         description="percent of live projects in the candidate arm")  # fmt: skip


class PopulationIn(BaseModel):
    model_config = _REQUEST

    projects: list[str] = Field(
        default_factory=list, max_length=10_000,
        description="live analyses of these projects (empty: all)",
    )  # fmt: skip
    live: bool = True
    corpus: Literal["precision"] | None = Field(
        default=None, description="the labelled evaluation set to replay both arms on"
    )


class ExperimentCreate(BaseModel):
    model_config = _REQUEST

    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=1024)
    baseline: str = Field(pattern=_REF, description="configuration NAME or NAME@VERSION")
    candidate: str = Field(pattern=_REF, description="configuration NAME or NAME@VERSION")
    plan: PlanIn
    population: PopulationIn = Field(default_factory=PopulationIn)


class TransitionView(BaseModel):
    model_config = _VIEW

    seq: int
    verb: str
    from_state: str | None
    to_state: str
    actor: str
    reason: str | None
    event_id: str
    at: datetime


class ExperimentView(BaseModel):
    model_config = _VIEW

    id: str
    name: str
    state: str
    baseline: str
    candidate: str
    description: str
    plan: dict[str, Any]
    population: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    allowed: list[str] = Field(description="the lifecycle steps its state allows")
    history: list[TransitionView] | None = None

    @classmethod
    def of(cls, e: Experiment, history: list[Transition] | None = None) -> ExperimentView:
        from dataclasses import asdict

        from coderev.experiments.lifecycle import allowed_from

        steps = None
        if history is not None:
            steps = [TransitionView(seq=t.seq, verb=t.verb, from_state=t.from_state,
                                    to_state=t.to_state, actor=t.actor, reason=t.reason,
                                    event_id=t.event_id, at=t.at) for t in history]  # fmt: skip
        population = asdict(e.population)
        population["projects"] = list(e.population.projects)
        plan = asdict(e.plan)
        plan["guard_metrics"] = list(e.plan.guard_metrics)
        return cls(id=e.id, name=e.name, state=e.state, baseline=e.baseline,
                   candidate=e.candidate, description=e.description, plan=plan,
                   population=population, created_by=e.created_by, created_at=e.created_at,
                   updated_at=e.updated_at, allowed=list(allowed_from(e.state)),
                   history=steps)  # fmt: skip


class ExperimentList(BaseModel):
    model_config = _VIEW

    experiments: list[ExperimentView]


class StepIn(BaseModel):
    model_config = _REQUEST

    reason: str | None = Field(default=None, max_length=2048)


class ObservationIn(BaseModel):
    """One arm's outcome on one task: metric -> number, bool, or [numerator, denominator]."""

    model_config = _REQUEST

    source: Literal["live", "offline"] = "live"
    task: str = Field(min_length=1, max_length=512)
    arm: Literal["baseline", "candidate"]
    metrics: dict[str, float | bool | tuple[float, float] | None] = Field(max_length=64)
    project: str | None = Field(default=None, max_length=128)
    analysis_id: str | None = Field(default=None, max_length=64)


class PairList(BaseModel):
    model_config = _VIEW

    experiment_id: str
    pairs: list[dict[str, Any]] = Field(
        description="tasks both arms were observed on: {task, baseline, candidate}, the "
        "comparison function's `pairs`"
    )


class FeedbackIn(BaseModel):
    """A verdict on a finding or review comment, keyed by its analysis and fingerprint."""

    model_config = _REQUEST

    analysis_id: str = Field(min_length=1, max_length=64)
    fingerprint: str = Field(min_length=1, max_length=128)
    verdict: Literal["accepted", "dismissed", "wrong"] = Field(
        description="accepted: acted on; dismissed: noise; wrong: the comment is mistaken"
    )
    rule_id: str | None = Field(default=None, max_length=64)
    project: str | None = Field(default=None, max_length=128)
    model: str | None = Field(default=None, max_length=255)
    configuration: str | None = Field(default=None, max_length=80)
    comment: str | None = Field(default=None, max_length=2048)


class FeedbackView(BaseModel):
    model_config = _VIEW

    analysis_id: str
    fingerprint: str
    verdict: str
    actor: str
    rule_id: str | None
    project: str | None
    at: datetime | None


class AcceptanceRow(BaseModel):
    model_config = _VIEW

    key: str
    accepted: int
    dismissed: int
    wrong: int
    verdicts: int
    acceptance: float


class AcceptanceView(BaseModel):
    model_config = _VIEW

    by: str
    project: str | None
    rows: list[AcceptanceRow]
    collapsed_rules: dict[str, float] = Field(
        description="rules shown collapsed in this project's reports: rule -> share accepted"
    )
    note: str


class ObservationRecorded(BaseModel):
    model_config = _VIEW

    recorded: bool = Field(description="false: this source, task and arm were already kept")


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": ErrorView}}}


ERRORS: dict[int, OpenAPIResponse] = {
    **ERROR_RESPONSES,
    404: _error("no such experiment or configuration in the caller's tenant (or no route)"),
    422: _error("the body or a parameter is invalid: the message names the field and rule"),
    503: _error("the experiments' database is unavailable"),
}
_CONFLICT = _error("the experiment's state does not allow this (the message says what does)")


def answer(
    status: int, model: type[BaseModel], description: str, *, conflict: bool = False
) -> dict[int, OpenAPIResponse]:
    """A route's documented answers: its outcome, every error any route may give, and 409
    where the experiment's state can refuse it."""
    ok: OpenAPIResponse = {"description": description,
                           "content": {"application/json": {"model": model}}}  # fmt: skip
    return {status: ok, **ERRORS, **({409: _CONFLICT} if conflict else {})}
