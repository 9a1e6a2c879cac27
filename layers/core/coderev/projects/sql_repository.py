"""Projects and members in SQL: SQLite (embedded) or PostgreSQL, schema `projects`.

Every statement has the tenant in its WHERE clause (or its row, for an insert): see the port.
Names stay unique among a tenant's live projects through `live_name` (coderev.projects.tables).

This module imports SQLAlchemy; `coderev.projects` does not import this module.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from coderev.projects.errors import (
    InvalidProjectError,
    ProjectNameTakenError,
    ProjectNotFoundError,
    ProjectStoreError,
)
from coderev.projects.model import Member, NewProject, ProjectRecord, ProjectSettings, Role
from coderev.projects.repository import UNCHANGED, Unchanged
from coderev.projects.tables import LOGICAL_SCHEMA, members, metadata, projects
from coderev.sql import SqlRepository, read_time

__all__ = ["SqlProjectRepository", "metadata"]


class SqlProjectRepository(SqlRepository):
    """ProjectRepository on an SQLAlchemy Engine (SQLite or PostgreSQL), in `projects`."""

    LOGICAL_SCHEMA = LOGICAL_SCHEMA
    STORE_ERROR = ProjectStoreError
    TIMES_OF = "project"

    def create(self, new: NewProject) -> ProjectRecord:
        now = self._now()
        row = {
            "id": new.id or str(uuid.uuid4()), "tenant_id": new.tenant, "name": new.name,
            "live_name": new.name, "description": new.description,
            "settings": new.settings.to_json(), "baseline_id": None,
            "created_by": new.created_by, "created_at": now, "updated_at": now,
            "deleted_at": None,
        }  # fmt: skip
        insert = (
            self._insert(projects).values(**row).on_conflict_do_nothing().returning(projects.c.id)
        )
        with self._engine.begin() as conn:
            if conn.execute(insert).first() is None:
                raise ProjectNameTakenError(new.name)
        return _project(row)

    def get(self, tenant: str, project_id: str, *, deleted: bool = False) -> ProjectRecord | None:
        query = sa.select(projects).where(projects.c.tenant_id == tenant,
                                          projects.c.id == project_id)  # fmt: skip
        if not deleted:
            query = query.where(projects.c.deleted_at.is_(None))
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().one_or_none()
        return None if row is None else _project(row)

    def by_name(self, tenant: str, name: str) -> ProjectRecord | None:
        query = sa.select(projects).where(projects.c.tenant_id == tenant,
                                          projects.c.live_name == name)  # fmt: skip
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().one_or_none()
        return None if row is None else _project(row)

    def page(
        self, tenant: str, *, after: str | None = None, limit: int = 50,
        name_prefix: str | None = None,
    ) -> tuple[list[ProjectRecord], str | None]:  # fmt: skip
        c = projects.c
        query = sa.select(projects).where(c.tenant_id == tenant, c.deleted_at.is_(None))
        if name_prefix:
            query = query.where(c.name.startswith(name_prefix, autoescape=True))
        if after is not None:
            query = query.where(c.name > _decode(after))
        limit = max(1, limit)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(c.name).limit(limit + 1)).mappings().all()
        found = [_project(r) for r in rows[:limit]]
        more = len(rows) > limit and found
        return found, _encode(found[-1].name) if more else None

    def update(
        self, tenant: str, project_id: str, *, name: str | Unchanged = UNCHANGED,
        description: str | Unchanged = UNCHANGED,
        settings: ProjectSettings | Unchanged = UNCHANGED,
        baseline_id: str | Unchanged | None = UNCHANGED,
    ) -> ProjectRecord:  # fmt: skip
        values: dict[str, Any] = {"updated_at": self._now()}
        if not isinstance(name, Unchanged):
            values |= {"name": name, "live_name": name}
        if not isinstance(description, Unchanged):
            values["description"] = description
        if not isinstance(settings, Unchanged):
            values["settings"] = settings.to_json()
        if not isinstance(baseline_id, Unchanged):
            values["baseline_id"] = baseline_id
        c = projects.c
        where = (c.tenant_id == tenant, c.id == project_id, c.deleted_at.is_(None))
        try:
            with self._engine.begin() as conn:
                changed = conn.execute(sa.update(projects).where(*where).values(**values))
                if changed.rowcount == 0:
                    raise ProjectNotFoundError(project_id)
                row = conn.execute(sa.select(projects).where(*where)).mappings().one()
        except sa.exc.IntegrityError:
            raise ProjectNameTakenError(str(name)) from None
        return _project(row)

    def soft_delete(self, tenant: str, project_id: str) -> ProjectRecord:
        now = self._now()
        c = projects.c
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(projects)
                .where(c.tenant_id == tenant, c.id == project_id, c.deleted_at.is_(None))
                .values(deleted_at=now, updated_at=now, live_name=None)
            )
            if changed.rowcount == 0:
                raise ProjectNotFoundError(project_id)
            row = conn.execute(sa.select(projects).where(c.id == project_id)).mappings().one()
        return _project(row)

    def member(self, tenant: str, project_id: str, subject: str) -> Member | None:
        c = members.c
        query = sa.select(members).where(c.tenant_id == tenant, c.project_id == project_id,
                                         c.subject == subject)  # fmt: skip
        with self._engine.connect() as conn:
            row = conn.execute(query).mappings().one_or_none()
        return None if row is None else _member(row)

    def members(self, tenant: str, project_id: str) -> list[Member]:
        c = members.c
        query = (sa.select(members).where(c.tenant_id == tenant, c.project_id == project_id)
                 .order_by(c.subject))  # fmt: skip
        with self._engine.connect() as conn:
            return [_member(r) for r in conn.execute(query).mappings().all()]

    def put_member(
        self, tenant: str, project_id: str, subject: str, role: Role, added_by: str
    ) -> Member:
        if self.get(tenant, project_id) is None:
            raise ProjectNotFoundError(project_id)
        c = members.c
        now = self._now()
        with self._engine.begin() as conn:
            changed = conn.execute(
                sa.update(members)
                .where(c.tenant_id == tenant, c.project_id == project_id, c.subject == subject)
                .values(role=role.value)
            ).rowcount
            if not changed:
                conn.execute(
                    self._insert(members).values(
                        project_id=project_id, subject=subject, tenant_id=tenant,
                        role=role.value, added_by=added_by, added_at=now,
                    ).on_conflict_do_nothing()
                )  # fmt: skip
        found = self.member(tenant, project_id, subject)
        if found is None:  # the project was deleted meanwhile (cascade) or another tenant's
            raise ProjectNotFoundError(project_id)
        return found

    def remove_member(self, tenant: str, project_id: str, subject: str) -> bool:
        c = members.c
        with self._engine.begin() as conn:
            return bool(
                conn.execute(
                    sa.delete(members).where(
                        c.tenant_id == tenant, c.project_id == project_id, c.subject == subject
                    )
                ).rowcount
            )


def _encode(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidProjectError("the cursor is not one this API handed out") from None


def _project(row: RowMapping | dict[str, Any]) -> ProjectRecord:
    settings = row["settings"] or {}
    return ProjectRecord(
        id=row["id"], tenant=row["tenant_id"], name=row["name"],
        description=row["description"],
        settings=ProjectSettings(settings.get("fail_on") or "none",
                                 tuple(settings.get("ignore_paths") or ()),
                                 settings.get("contracts")),
        created_by=row["created_by"], created_at=read_time(row["created_at"]),
        updated_at=read_time(row["updated_at"]), baseline_id=row["baseline_id"],
        deleted_at=None if row["deleted_at"] is None else read_time(row["deleted_at"]),
    )  # fmt: skip


def _member(row: RowMapping) -> Member:
    return Member(row["project_id"], row["subject"], Role(row["role"]), row["added_by"],
                  read_time(row["added_at"]))  # fmt: skip
