"""The experiments room in SQL: the `experiments_v1` schema's tables, SQLite or PostgreSQL.

The same database as the analysis records (`DATABASE_URL`, else SQLite under the data dir);
the tables are made by the Alembic migrations (`coderev.migrations.open_repository`).
Races are settled in the database: a configuration's next version is taken by inserting on
the primary key (a loser tries the next number), a transition is a compare-and-set on the
experiment's state (two concurrent `start`s: one wins, the other is refused), observations
are kept once per (experiment, source, task, arm), feedback is one row per actor and comment.

This module imports SQLAlchemy; `coderev.experiments` does not import this module.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from coderev.experiments.errors import ExperimentStoreError
from coderev.experiments.model import (
    ConfigurationSpec,
    Experiment,
    ExperimentPlan,
    Feedback,
    Observation,
    Population,
    ReviewConfiguration,
    Transition,
)
from coderev.experiments.tables import (
    LOGICAL_SCHEMA,
    configurations,
    experiments,
    feedback,
    metadata,
    observations,
    transitions,
)
from coderev.sql import SqlRepository, read_time

__all__ = ["LOGICAL_SCHEMA", "SqlExperimentRepository", "metadata"]

_VERSION_ATTEMPTS = 20


class SqlExperimentRepository(SqlRepository):
    """ExperimentRepository on an SQLAlchemy Engine (SQLite or PostgreSQL)."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = ExperimentStoreError
    TIMES_OF = "experiment"

    # --- configurations -------------------------------------------------------------------

    def add_configuration(
        self, tenant: str, name: str, spec: ConfigurationSpec, description: str, actor: str
    ) -> ReviewConfiguration:
        now = self._now()
        newest = sa.select(sa.func.max(configurations.c.version)).where(
            configurations.c.tenant == tenant, configurations.c.name == name
        )
        for _ in range(_VERSION_ATTEMPTS):
            with self._engine.begin() as conn:
                version = (conn.execute(newest).scalar() or 0) + 1
                row = {"tenant": tenant, "name": name, "version": version,
                       "spec": spec.as_dict(), "digest": spec.digest, "description": description,
                       "created_by": actor, "created_at": now, "used_at": None}  # fmt: skip
                insert = self._insert(configurations).values(**row).on_conflict_do_nothing()
                if conn.execute(insert.returning(configurations.c.version)).first() is not None:
                    return _configuration(row)
        raise ExperimentStoreError(f"could not take a version of configuration {name!r}")

    def get_configuration(
        self, tenant: str, name: str, version: int | None = None
    ) -> ReviewConfiguration | None:
        query = sa.select(configurations).where(
            configurations.c.tenant == tenant, configurations.c.name == name
        )
        if version is not None:
            query = query.where(configurations.c.version == version)
        query = query.order_by(configurations.c.version.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _configuration(row)

    def list_configurations(
        self, tenant: str, name: str | None = None
    ) -> list[ReviewConfiguration]:
        query = sa.select(configurations).where(configurations.c.tenant == tenant)
        if name is not None:
            query = query.where(configurations.c.name == name)
        query = query.order_by(configurations.c.name, configurations.c.version)
        with self._engine.connect() as conn:
            return [_configuration(r) for r in conn.execute(query).mappings()]

    def mark_used(self, tenant: str, name: str, version: int, at: datetime) -> None:
        update = (
            sa.update(configurations)
            .where(configurations.c.tenant == tenant, configurations.c.name == name,
                   configurations.c.version == version, configurations.c.used_at.is_(None))
            .values(used_at=self._utc(at))
        )  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(update)

    # --- experiments ----------------------------------------------------------------------

    def add_experiment(self, experiment: Experiment, created: Transition) -> None:
        row = {
            "id": experiment.id, "tenant": experiment.tenant, "name": experiment.name,
            "baseline": experiment.baseline, "candidate": experiment.candidate,
            "population": _population_json(experiment.population),
            "plan": _plan_json(experiment.plan), "state": experiment.state,
            "description": experiment.description, "created_by": experiment.created_by,
            "created_at": self._utc(experiment.created_at),
            "updated_at": self._utc(experiment.updated_at),
        }  # fmt: skip
        with self._engine.begin() as conn:
            conn.execute(sa.insert(experiments).values(**row))
            conn.execute(sa.insert(transitions).values(**self._transition_row(created)))

    def get_experiment(self, experiment_id: str) -> Experiment | None:
        query = sa.select(experiments).where(experiments.c.id == experiment_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _experiment(row)

    def list_experiments(
        self, tenant: str | None, states: Sequence[str] | None = None
    ) -> builtins.list[Experiment]:
        query = sa.select(experiments)
        if tenant is not None:
            query = query.where(experiments.c.tenant == tenant)
        if states is not None:
            query = query.where(experiments.c.state.in_(list(states)))
        query = query.order_by(experiments.c.created_at.desc(), experiments.c.id)
        with self._engine.connect() as conn:
            return [_experiment(r) for r in conn.execute(query).mappings()]

    def transition(self, experiment: Experiment, step: Transition) -> bool:
        update = (
            sa.update(experiments)
            .where(experiments.c.id == experiment.id, experiments.c.state == step.from_state)
            .values(state=step.to_state, updated_at=self._utc(step.at))
        )
        with self._engine.begin() as conn:
            if conn.execute(update).rowcount == 0:
                return False
            # numbered after the state moved: the compare-and-set serialises the steps
            last = sa.select(sa.func.max(transitions.c.seq)).where(
                transitions.c.experiment_id == experiment.id
            )
            row = self._transition_row(step)
            row["seq"] = (conn.execute(last).scalar() or 0) + 1
            conn.execute(sa.insert(transitions).values(**row))
        return True

    def transitions(self, experiment_id: str) -> builtins.list[Transition]:
        query = (
            sa.select(transitions)
            .where(transitions.c.experiment_id == experiment_id)
            .order_by(transitions.c.seq)
        )
        with self._engine.connect() as conn:
            return [_transition(r) for r in conn.execute(query).mappings()]

    def _transition_row(self, step: Transition) -> dict[str, Any]:
        row = asdict(step)
        row["at"] = self._utc(step.at)
        return row

    # --- observations and feedback -------------------------------------------------------

    def record_observation(self, observation: Observation) -> bool:
        row = asdict(observation)
        row["metrics"] = dict(observation.metrics)
        row["recorded_at"] = self._utc(observation.recorded_at or self._now())
        insert = (
            self._insert(observations)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["experiment_id", "source", "task", "arm"])
            .returning(observations.c.seq)
        )
        with self._engine.begin() as conn:
            return conn.execute(insert).first() is not None

    def observations(
        self, experiment_id: str, source: str | None = None
    ) -> builtins.list[Observation]:
        query = sa.select(observations).where(observations.c.experiment_id == experiment_id)
        if source is not None:
            query = query.where(observations.c.source == source)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(observations.c.seq)).mappings().all()
        return [_observation(r) for r in rows]

    def record_feedback(self, item: Feedback) -> None:
        row = asdict(item)
        row["at"] = self._utc(item.at or self._now())
        changed = {k: row[k] for k in ("verdict", "project", "rule_id", "model",
                                       "configuration", "comment", "at")}  # fmt: skip
        keys = ["tenant", "analysis_id", "fingerprint", "actor"]
        insert = self._insert(feedback).values(**row)
        with self._engine.begin() as conn:
            conn.execute(insert.on_conflict_do_update(index_elements=keys, set_=changed))

    def feedback(
        self, tenant: str, *, project: str | None = None, analysis_id: str | None = None
    ) -> builtins.list[Feedback]:
        query = sa.select(feedback).where(feedback.c.tenant == tenant)
        if project is not None:
            query = query.where(feedback.c.project == project)
        if analysis_id is not None:
            query = query.where(feedback.c.analysis_id == analysis_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(feedback.c.at)).mappings().all()
        return [_feedback(r) for r in rows]


# --- rows -> records ----------------------------------------------------------------------


def _configuration(row: RowMapping | dict[str, Any]) -> ReviewConfiguration:
    used = row["used_at"]
    return ReviewConfiguration(
        tenant=row["tenant"], name=row["name"], version=row["version"],
        spec=ConfigurationSpec.of(row["spec"]), description=row["description"],
        created_by=row["created_by"], created_at=read_time(row["created_at"]),
        used_at=None if used is None else read_time(used),
    )  # fmt: skip


def _population_json(population: Population) -> dict[str, Any]:
    return {"projects": list(population.projects), "corpus": population.corpus,
            "live": population.live}  # fmt: skip


def _plan_json(plan: ExperimentPlan) -> dict[str, Any]:
    value = asdict(plan)
    value["guard_metrics"] = list(plan.guard_metrics)
    return value


def _experiment(row: RowMapping) -> Experiment:
    population, plan = row["population"], dict(row["plan"])
    plan["guard_metrics"] = tuple(plan.get("guard_metrics") or ())
    return Experiment(
        id=row["id"], tenant=row["tenant"], name=row["name"], baseline=row["baseline"],
        candidate=row["candidate"],
        population=Population(projects=tuple(population.get("projects") or ()),
                              corpus=population.get("corpus"),
                              live=bool(population.get("live", True))),
        plan=ExperimentPlan(**plan), state=row["state"], created_by=row["created_by"],
        created_at=read_time(row["created_at"]), updated_at=read_time(row["updated_at"]),
        description=row["description"],
    )  # fmt: skip


def _transition(row: RowMapping) -> Transition:
    values = dict(row)
    values["at"] = read_time(values["at"])
    return Transition(**values)


def _observation(row: RowMapping) -> Observation:
    values = dict(row)
    values.pop("seq")
    values["recorded_at"] = read_time(values["recorded_at"])
    return Observation(**values)


def _feedback(row: RowMapping) -> Feedback:
    values = dict(row)
    values["at"] = read_time(values["at"])
    return Feedback(**values)
