"""projects.projects, projects.members; analyses gain an owner and a version; audits.events
become append-only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10

- Every analysis now belongs to a tenant (`tenant_id`) and a project; the records made before
  are adopted into the default tenant and its default project (made here, id `default`).
- An analysis records the version it holds (ref, commit, label), who uploaded it, and the
  baseline analysis it was compared with.
- Audit entries name their actor (`actor_id`, searchable).
- The audit trail is append-only in the database itself: a trigger rejects every UPDATE and
  DELETE of `audits.events` (and TRUNCATE on PostgreSQL), whatever the code path.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from coderev.migrations.runner import ensure_schema

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = "default"
_APPEND_ONLY = "audit entries are append-only"


def _schema(logical: str) -> str | None:
    """The schema `logical` is mapped to: Alembic's ALTER TABLE names the schema it is given
    as it is (the Engine's schema_translate_map does not reach it), CREATE TABLE/INDEX not."""
    translate = op.get_bind().get_execution_options().get("schema_translate_map") or {}
    mapped = translate.get(logical, logical)
    return None if mapped is None else str(mapped)


def upgrade() -> None:
    ensure_schema("projects")
    op.create_table(
        "projects",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("live_name", sa.String(100), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("baseline_id", sa.String(36), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("tenant_id", "live_name", name="uq_projects_tenant_id_live_name"),
        schema="projects",
    )
    for column in ("tenant_id", "created_at"):
        op.create_index(op.f(f"ix_projects_{column}"), "projects", [column], schema="projects")
    op.create_table(
        "members",
        sa.Column("project_id", sa.String(36), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("added_by", sa.String(255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "subject", name="pk_members"),
        sa.ForeignKeyConstraint(["project_id"], ["projects.projects.id"],
                                name="fk_members_project_id_projects", ondelete="CASCADE"),
        sa.CheckConstraint("role IN ('viewer', 'reviewer', 'maintainer', 'admin')",
                           name=op.f("ck_members_role")),
        schema="projects",
    )  # fmt: skip
    op.create_index(op.f("ix_members_tenant_id"), "members", ["tenant_id"], schema="projects")

    with op.batch_alter_table("analyses", schema=_schema("projects")) as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(64), nullable=False,
                                   server_default=DEFAULT))  # fmt: skip
        for column in ("version_ref", "version_commit", "version_label", "uploaded_by"):
            batch.add_column(sa.Column(column, sa.String(255), nullable=True))
        batch.add_column(sa.Column("baseline_id", sa.String(36), nullable=True))
    op.create_index(op.f("ix_analyses_tenant_id"), "analyses", ["tenant_id"], schema="projects")
    _adopt()
    with op.batch_alter_table("events", schema=_schema("audits")) as batch:
        batch.add_column(sa.Column("actor_id", sa.String(128), nullable=True))
    op.create_index(op.f("ix_events_actor_id"), "events", ["actor_id"], schema="audits")
    _append_only()


def _adopt() -> None:
    """The default tenant's default project, owning every analysis recorded before."""
    bind = op.get_bind()
    projects = sa.table(
        "projects", *(sa.column(c) for c in (
            "id", "tenant_id", "name", "live_name", "description", "created_by", "created_at",
            "updated_at")), sa.column("settings", sa.JSON()),
        schema=_schema("projects"),
    )  # fmt: skip
    analyses = sa.table("analyses", sa.column("project_id"), sa.column("tenant_id"),
                        schema=_schema("projects"))  # fmt: skip
    now = sa.func.current_timestamp()
    bind.execute(
        sa.insert(projects).values(
            id=DEFAULT, tenant_id=DEFAULT, name=DEFAULT, live_name=DEFAULT,
            description="the analyses recorded before projects existed",
            settings={"fail_on": "none", "ignore_paths": [], "contracts": None},
            created_by="migration:0006", created_at=now, updated_at=now,
        )
    )  # fmt: skip
    bind.execute(sa.update(analyses).values(project_id=DEFAULT, tenant_id=DEFAULT))


def _append_only() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_append_only_{verb.lower()} BEFORE {verb} ON events "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )
        return
    events = f'"{_schema("audits")}".events'
    function = f'"{_schema("audits")}".events_append_only'
    op.execute(
        f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION '{_APPEND_ONLY}: % refused', TG_OP "
        "USING ERRCODE = 'insufficient_privilege'; "
        "END $$"
    )
    op.execute(f"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON {events} "
               f"FOR EACH ROW EXECUTE FUNCTION {function}()")  # fmt: skip
    op.execute(f"CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON {events} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")  # fmt: skip


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS events_append_only_delete")
    else:
        events = f'"{_schema("audits")}".events'
        op.execute(f"DROP TRIGGER IF EXISTS events_no_truncate ON {events}")
        op.execute(f"DROP TRIGGER IF EXISTS events_append_only ON {events}")
        op.execute(f'DROP FUNCTION IF EXISTS "{_schema("audits")}".events_append_only()')
    op.drop_index(op.f("ix_events_actor_id"), table_name="events", schema="audits")
    with op.batch_alter_table("events", schema=_schema("audits")) as batch:
        batch.drop_column("actor_id")
    op.drop_index(op.f("ix_analyses_tenant_id"), table_name="analyses", schema="projects")
    with op.batch_alter_table("analyses", schema=_schema("projects")) as batch:
        for column in ("baseline_id", "uploaded_by", "version_label", "version_commit",
                       "version_ref", "tenant_id"):  # fmt: skip
            batch.drop_column(column)
    op.drop_table("members", schema="projects")
    op.drop_table("projects", schema="projects")
