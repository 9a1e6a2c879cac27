"""experiments_v1.configurations, experiments, transitions, observations, feedback.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from coderev.migrations.runner import ensure_schema

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "experiments_v1"


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    ensure_schema(S)
    op.create_table(
        "configurations",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        _when("created_at"),
        _when("used_at", nullable=True),
        sa.PrimaryKeyConstraint("tenant", "name", "version", name=op.f("pk_configurations")),
        schema=S,
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("baseline", sa.String(80), nullable=False),
        sa.Column("candidate", sa.String(80), nullable=False),
        sa.Column("population", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        schema=S,
    )
    op.create_index(op.f("ix_experiments_tenant"), "experiments", ["tenant"], schema=S)
    op.create_index(op.f("ix_experiments_state"), "experiments", ["state"], schema=S)
    op.create_table(
        "transitions",
        sa.Column("experiment_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("verb", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(2048), nullable=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        _when("at"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            [f"{S}.experiments.id"],
            name="fk_transitions_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("experiment_id", "seq", name=op.f("pk_transitions")),
        schema=S,
    )
    op.create_table(
        "observations",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("experiment_id", sa.String(40), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("task", sa.String(512), nullable=False),
        sa.Column("arm", sa.String(16), nullable=False),
        sa.Column("configuration", sa.String(80), nullable=False),
        sa.Column("project", sa.String(128), nullable=True),
        sa.Column("analysis_id", sa.String(64), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=False),
        _when("recorded_at"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            [f"{S}.experiments.id"],
            name="fk_observations_experiment_id_experiments",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_observations")),
        sa.UniqueConstraint(
            "experiment_id", "source", "task", "arm", name="uq_observations_experiment_id"
        ),
        schema=S,
    )
    op.create_table(
        "feedback",
        sa.Column("tenant", sa.String(64), nullable=False),
        sa.Column("analysis_id", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("project", sa.String(128), nullable=True),
        sa.Column("rule_id", sa.String(64), nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("configuration", sa.String(80), nullable=True),
        sa.Column("comment", sa.String(2048), nullable=True),
        _when("at"),
        sa.PrimaryKeyConstraint(
            "tenant", "analysis_id", "fingerprint", "actor", name=op.f("pk_feedback")
        ),
        schema=S,
    )
    op.create_index(op.f("ix_feedback_project"), "feedback", ["project"], schema=S)


def downgrade() -> None:
    op.drop_index(op.f("ix_feedback_project"), table_name="feedback", schema=S)
    op.drop_table("feedback", schema=S)
    op.drop_table("observations", schema=S)
    op.drop_table("transitions", schema=S)
    op.drop_index(op.f("ix_experiments_state"), table_name="experiments", schema=S)
    op.drop_index(op.f("ix_experiments_tenant"), table_name="experiments", schema=S)
    op.drop_table("experiments", schema=S)
    op.drop_table("configurations", schema=S)
