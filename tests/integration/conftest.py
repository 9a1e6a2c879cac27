"""Integration tier: the real adapters against real servers on 127.0.0.1.

Each backend fixture reads its variable (`S3_ENDPOINT`, `KAFKA_BOOTSTRAP_SERVERS`,
`FALKORDB_URL`). Set (as `.ci/run` does after `.ci/services start`): the server must answer,
else the test FAILS — a CI that silently skips its integration tests proves nothing.
Unset (a developer's `pytest tests/integration`, `make test`): the fixture starts the server
itself with the same code as `.ci/services` (tests/integration/services.py), or reuses one
`.ci/services start` left running; what this run started is stopped when the run ends
(tests/conftest.py).

PostgreSQL (the repositories' and migrations' suites): `CODEREV_TEST_DATABASE_URL`, else
postgresql://postgres@127.0.0.1:5432/coderev_test (the database is created when missing). It
must answer: an unreachable server FAILS the test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from tests.conftest import load_services

from coderev.analyses.database import create_database_engine, database_url
from coderev.migrations import create_tables
from coderev.sql import SqlRepository

HOW_TO_START = (
    "start the integration backends with `.ci/services start` and point the tests at them "
    'with `eval "$(.ci/services env)"` (or unset the variable to let the tests start them)'
)


def _reachable(address: str) -> bool:
    """Every host:port of a URL or comma-separated bootstrap list accepts a TCP connection."""
    targets = []
    for part in address.split(","):
        parsed = urlsplit(part if "://" in part else f"tcp://{part.strip()}")
        if parsed.hostname is None or parsed.port is None:
            return False
        targets.append((parsed.hostname, parsed.port))
    for target in targets:
        try:
            with socket.create_connection(target, timeout=2):
                pass
        except OSError:
            return False
    return bool(targets)


def _backend(variable: str, service: str) -> str:
    configured = os.environ.get(variable)
    if configured:
        if not _reachable(configured):
            pytest.fail(f"{variable}={configured} does not answer: {HOW_TO_START}", pytrace=False)
        return configured
    services = load_services()
    try:
        services.start([service])
    except services.ServiceStartError as exc:
        pytest.fail(f"{variable} is unset and starting {service} failed: {exc}", pytrace=False)
    value: str = services.environment([service])[variable]
    return value


@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    """moto_server's URL (S3, SQS, KMS)."""
    return _backend("S3_ENDPOINT", "moto")


@pytest.fixture(scope="session")
def kafka_bootstrap_servers() -> str:
    """The Kafka (Tansu) broker's host:port."""
    return _backend("KAFKA_BOOTSTRAP_SERVERS", "kafka")


@pytest.fixture(scope="session")
def falkordb_url() -> str:
    """FalkorDB's redis:// URL."""
    return _backend("FALKORDB_URL", "falkordb")


@pytest.fixture
def fresh_name() -> Callable[[str], str]:
    """Unique names for buckets, queues, topics and consumer groups: tests never share state."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    return make


# --- SQL: the repositories' contract suites, SQLite and the real PostgreSQL --------------------

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/coderev_test"
START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
SqlBackend = tuple[sa.Engine, str | None]
"""`sql_backend`: an Engine, and the schema to give a repository (None: its own)."""


class SteppingClock:
    """Each reading is one second after the previous: every write gets its own time."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=1)
            return self.now


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = database_url(os.environ.get("CODEREV_TEST_DATABASE_URL") or DEFAULT_POSTGRES, Path())
    target = sa.make_url(url)
    admin = create_database_engine(
        target.set(database="postgres").render_as_string(hide_password=False)
    )
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).scalar()
            if not exists:
                # a parallel run may create it first
                with contextlib.suppress(sa.exc.ProgrammingError):
                    conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    except sa.exc.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {target.render_as_string()} does not answer ({exc.orig}); "
            "start it or set CODEREV_TEST_DATABASE_URL",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgres"])
def sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlBackend]:
    """An Engine and the schema to give a repository: SQLite in tmp_path (no schema: the
    repository's own, mapped away), or PostgreSQL with a schema of the test's own, which the
    migrations fill with every table and which is dropped afterwards, so parallel runs and
    other suites sharing the database do not meet."""
    if request.param == "sqlite":
        engine = create_database_engine(database_url(None, tmp_path))
        yield engine, None
        engine.dispose()
        return
    engine = create_database_engine(request.getfixturevalue("postgres_url"))
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield engine, schema
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def migrated[R: SqlRepository](
    kind: type[R], backend: SqlBackend, clock: SteppingClock | None = None
) -> R:
    """A `kind` repository on the engine and schema of `sql_backend`, its tables made."""
    engine, schema = backend
    repository = kind(engine, schema=schema, clock=clock)
    create_tables(repository)
    create_tables(repository)  # twice: migrating is idempotent
    return repository
