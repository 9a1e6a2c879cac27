"""The `experiments_v1` schema's tables: what the Alembic migrations must produce (a test
compares).

- `configurations`: review configurations, one row per (tenant, name, version), never updated
  but for `used_at` (set once, when first used);
- `experiments`: candidate vs baseline configuration, population, plan, current state;
- `transitions`: every lifecycle step (append-only), with the CloudEvent id it published;
- `observations`: one arm's metrics on one task (a live analysis or a file of the evaluation
  set), unique per (experiment, source, task, arm): a re-recorded outcome replaces nothing;
- `feedback`: a user's verdict on a review comment, one per (analysis, fingerprint, actor).

Shared by `coderev.experiments.sql_repository` and `coderev.migrations.runner`.
This module imports SQLAlchemy; `coderev.experiments` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa

from coderev.analyses.tables import NAMING_CONVENTION

__all__ = [
    "LOGICAL_SCHEMA",
    "configurations",
    "experiments",
    "feedback",
    "metadata",
    "observations",
    "transitions",
]

LOGICAL_SCHEMA = "experiments_v1"

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


configurations = sa.Table(
    "configurations",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True),
    sa.Column("spec", sa.JSON(), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Column("description", sa.String(1024), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    _when("created_at"),
    _when("used_at", nullable=True),
    schema=LOGICAL_SCHEMA,
)

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("tenant", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("baseline", sa.String(80), nullable=False),
    sa.Column("candidate", sa.String(80), nullable=False),
    sa.Column("population", sa.JSON(), nullable=False),
    sa.Column("plan", sa.JSON(), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("description", sa.String(1024), nullable=False),
    sa.Column("created_by", sa.String(128), nullable=False),
    _when("created_at"),
    _when("updated_at"),
    schema=LOGICAL_SCHEMA,
)

transitions = sa.Table(
    "transitions",
    metadata,
    sa.Column(
        "experiment_id",
        sa.String(40),
        sa.ForeignKey(
            experiments.c.id, ondelete="CASCADE", name="fk_transitions_experiment_id_experiments"
        ),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("from_state", sa.String(16), nullable=True),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("verb", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(128), nullable=False),
    sa.Column("reason", sa.String(2048), nullable=True),
    sa.Column("event_id", sa.String(64), nullable=False),
    _when("at"),
    schema=LOGICAL_SCHEMA,
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
    sa.Column(
        "experiment_id",
        sa.String(40),
        sa.ForeignKey(
            experiments.c.id, ondelete="CASCADE", name="fk_observations_experiment_id_experiments"
        ),
        nullable=False,
    ),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("task", sa.String(512), nullable=False),
    sa.Column("arm", sa.String(16), nullable=False),
    sa.Column("configuration", sa.String(80), nullable=False),
    sa.Column("project", sa.String(128), nullable=True),
    sa.Column("analysis_id", sa.String(64), nullable=True),
    sa.Column("metrics", sa.JSON(), nullable=False),
    _when("recorded_at"),
    sa.UniqueConstraint(
        "experiment_id", "source", "task", "arm", name="uq_observations_experiment_id"
    ),
    schema=LOGICAL_SCHEMA,
)

feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("tenant", sa.String(64), primary_key=True),
    sa.Column("analysis_id", sa.String(64), primary_key=True),
    sa.Column("fingerprint", sa.String(128), primary_key=True),
    sa.Column("actor", sa.String(128), primary_key=True),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("project", sa.String(128), nullable=True, index=True),
    sa.Column("rule_id", sa.String(64), nullable=True),
    sa.Column("model", sa.String(255), nullable=True),
    sa.Column("configuration", sa.String(80), nullable=True),
    sa.Column("comment", sa.String(2048), nullable=True),
    _when("at"),
    schema=LOGICAL_SCHEMA,
)
