"""What coderev's SQL repositories share (analyses, audit): an Engine on SQLite or PostgreSQL
with the repository's logical schema mapped to the database's, the tables the migrations make,
`INSERT ... ON CONFLICT` for the dialect, and times stored in UTC.

SQLite has no schemas: the logical schema is mapped away with `schema_translate_map`, and the
same map lets a test put the tables in a schema of its own on PostgreSQL.

Imports `coderev.analyses.database` and `coderev.migrations`, which import neither this module
nor a repository. This module imports SQLAlchemy; `coderev.analyses` and `coderev.audit` do
not import this module.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from coderev.analyses.database import SUPPORTED, create_database_engine
from coderev.domain.errors import CoderevError
from coderev.migrations import upgrade

__all__ = ["SqlRepository", "read_time"]


class SqlRepository:
    """The base of an SQL repository on an SQLAlchemy Engine (SQLite or PostgreSQL).

    A subclass names its `LOGICAL_SCHEMA` (where its table is on PostgreSQL), the error an
    unsupported backend raises, and whose times it keeps (for the naive-time error).
    `schema`: where the table is on PostgreSQL, the logical schema unless given (tests give
    each run a schema of its own, which then holds every table of the database).
    """

    LOGICAL_SCHEMA: ClassVar[str]
    STORE_ERROR: ClassVar[type[CoderevError]]
    TIMES_OF: ClassVar[str]

    def __init__(
        self,
        engine: Engine,
        *,
        schema: str | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.dialect = engine.dialect.name
        if self.dialect not in SUPPORTED:
            raise self.STORE_ERROR(f"database backend {self.dialect!r} is not supported")
        self.schema = None if self.dialect == "sqlite" else schema or self.LOGICAL_SCHEMA
        self._engine = engine.execution_options(
            schema_translate_map={self.LOGICAL_SCHEMA: self.schema}
        )
        self._base_engine = engine
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_url(cls, url: str, *, create_tables: bool = True) -> Self:
        repository = cls(create_database_engine(url))
        if create_tables:
            repository.create_tables()
        return repository

    def create_tables(self) -> None:
        """Bring the database's tables up to date (the Alembic migrations, idempotent).

        A `schema` other than the logical one holds every table of the database (a test's own).
        """
        sandbox = None if self.schema in (None, self.LOGICAL_SCHEMA) else self.schema
        upgrade(self._base_engine, schema=sandbox)

    def close(self) -> None:
        self._base_engine.dispose()

    def _now(self) -> datetime:
        return self._utc(self._clock())

    def _utc(self, moment: datetime) -> datetime:
        """`moment` in UTC; a ValueError when it is naive."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{self.TIMES_OF} times must be timezone-aware")
        return moment.astimezone(UTC)

    def _insert(self, table: sa.Table) -> Any:
        """INSERT for the dialect: both have `.on_conflict_do_nothing()`."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table)
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)


def read_time(value: datetime) -> datetime:
    """A stored time, aware: SQLite gives back naive text (stored in UTC), PostgreSQL
    `timestamptz` in the session's zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
