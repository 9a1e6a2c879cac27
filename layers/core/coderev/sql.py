"""What coderev's SQL repositories share (analyses, audit): an Engine on SQLite or PostgreSQL
with the repository's logical schema mapped to the database's, `INSERT ... ON CONFLICT` for the
dialect, and times stored in UTC.

SQLite has no schemas: the logical schema is mapped away with `schema_translate_map`, and the
same map lets a test put the tables in a schema of its own on PostgreSQL.

A low-level base: it knows nothing of the migrations that make the tables. They depend on it:
`coderev.migrations.open_repository` builds a repository and migrates its database first
(what bootstrap does), `coderev.migrations.create_tables` migrates an existing one's. Imports
`coderev.analyses.database` only; `coderev.analyses` and `coderev.audit` do not import it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from coderev.analyses.database import SUPPORTED
from coderev.domain.errors import CoderevError

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

    @property
    def engine(self) -> Engine:
        """The Engine the repository was built on, without its schema map."""
        return self._base_engine

    @property
    def own_schema(self) -> str | None:
        """A schema other than the logical one (a test's own), which then holds every table of
        the database; None when the tables are where the logical schemas put them."""
        return None if self.schema in (None, self.LOGICAL_SCHEMA) else self.schema

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
