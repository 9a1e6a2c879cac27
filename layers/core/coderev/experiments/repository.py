"""The port of the experiments room: where configurations, experiments, their transitions,
observations and feedback are kept. `SqlExperimentRepository`
(coderev.experiments.sql_repository) implements it on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from coderev.experiments.model import (
    ConfigurationSpec,
    Experiment,
    Feedback,
    Observation,
    ReviewConfiguration,
    Transition,
)

__all__ = ["ExperimentRepository"]


class ExperimentRepository(Protocol):
    def add_configuration(
        self, tenant: str, name: str, spec: ConfigurationSpec, description: str, actor: str
    ) -> ReviewConfiguration:
        """Write the next version of `name` (1 for a new name); concurrent writers get
        distinct versions."""
        ...

    def get_configuration(
        self, tenant: str, name: str, version: int | None = None
    ) -> ReviewConfiguration | None:
        """That version, or the newest when `version` is None."""
        ...

    def list_configurations(
        self, tenant: str, name: str | None = None
    ) -> list[ReviewConfiguration]: ...

    def mark_used(self, tenant: str, name: str, version: int, at: datetime) -> None:
        """Set `used_at` once (the first use stays)."""
        ...

    def add_experiment(self, experiment: Experiment, created: Transition) -> None: ...

    def get_experiment(self, experiment_id: str) -> Experiment | None: ...

    def list_experiments(
        self, tenant: str | None, states: Sequence[str] | None = None
    ) -> list[Experiment]: ...

    def transition(self, experiment: Experiment, step: Transition) -> bool:
        """Move `experiment` from `step.from_state` to `step.to_state`, recording `step`;
        False (nothing written) when its state is no longer `step.from_state`."""
        ...

    def transitions(self, experiment_id: str) -> list[Transition]: ...

    def record_observation(self, observation: Observation) -> bool:
        """Keep it; False when the experiment already has this source, task and arm."""
        ...

    def observations(self, experiment_id: str, source: str | None = None) -> list[Observation]: ...

    def record_feedback(self, feedback: Feedback) -> None:
        """Keep it; an actor's later verdict on the same comment replaces the earlier one."""
        ...

    def feedback(
        self, tenant: str, *, project: str | None = None, analysis_id: str | None = None
    ) -> list[Feedback]: ...
