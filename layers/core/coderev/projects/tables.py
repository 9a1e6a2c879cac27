"""The `projects.projects` and `projects.members` tables: what the Alembic migrations must
produce (a test compares). Shared by `coderev.projects.sql_repository` and
`coderev.migrations.runner`; imports neither.

A project's name is unique among its tenant's live projects: `live_name` holds the name while
the project lives and NULL once it is soft-deleted (NULLs never collide in a unique
constraint, on SQLite and PostgreSQL alike), so a deleted project's name can be taken again
while its row, and its analyses, stay.

This module imports SQLAlchemy; `coderev.projects` does not import this module.
"""

from __future__ import annotations

import sqlalchemy as sa

from coderev.analyses.tables import LOGICAL_SCHEMA, NAMING_CONVENTION
from coderev.projects.model import MAX_NAME, Role

__all__ = ["LOGICAL_SCHEMA", "members", "metadata", "projects"]

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("tenant_id", sa.String(64), nullable=False, index=True),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("live_name", sa.String(MAX_NAME), nullable=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("baseline_id", sa.String(36), nullable=True),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("tenant_id", "live_name", name="uq_projects_tenant_id_live_name"),
    schema=LOGICAL_SCHEMA,
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("project_id", sa.String(36), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("tenant_id", sa.String(64), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("added_by", sa.String(255), nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("project_id", "subject", name="pk_members"),
    sa.ForeignKeyConstraint(
        ["project_id"],
        [f"{LOGICAL_SCHEMA}.projects.id"],
        name="fk_members_project_id_projects",
        ondelete="CASCADE",
    ),
    sa.CheckConstraint("role IN ({})".format(", ".join(f"'{r.value}'" for r in Role)), name="role"),
    schema=LOGICAL_SCHEMA,
)
