"""The local stack's Postgres init SQL on the real PostgreSQL, then coderev's migrations on top.

infrastructure/postgres/init/10-coderev.sql is run with psql as the postgres image runs it
(`psql -v ON_ERROR_STOP=1 --no-psqlrc -f`, as a superuser), with a database and role of this
test's own (psql variables; the compose stack uses code_review_platform and coderev), then the
Alembic migrations connect as that role. Both are dropped afterwards. An unreachable server
FAILS the test (tests/integration/conftest.py's `postgres_url`); so does a missing psql.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from coderev import migrations
from coderev.analyses.database import create_database_engine

pytestmark = pytest.mark.integration

INIT_SQL = Path(__file__).resolve().parents[2] / "infrastructure/postgres/init/10-coderev.sql"
SCHEMAS = {"auth", "projects", "experiments_v1", "production", "quarantine", "providers", "audits"}


@dataclass(frozen=True)
class Target:
    server: sa.URL  # the superuser's URL
    database: str
    role: str
    password: str

    def as_role(self) -> str:
        url = self.server.set(database=self.database, username=self.role, password=self.password)
        return url.render_as_string(hide_password=False)


def psql() -> str:
    found = shutil.which("psql")
    if found is None:
        pytest.fail("psql (postgresql-client) is needed to run the init SQL", pytrace=False)
    return found


def run_init(target: Target, *, password: str | None) -> subprocess.CompletedProcess[str]:
    server = target.server
    command = [
        psql(), "-v", "ON_ERROR_STOP=1", "--no-psqlrc", "-X",
        "-h", server.host or "127.0.0.1", "-p", str(server.port or 5432),
        "-U", server.username or "postgres", "-d", "postgres",
        "-v", f"app_database={target.database}", "-v", f"app_user={target.role}",
        "-f", str(INIT_SQL),
    ]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if k != "CODEREV_DB_PASSWORD"}
    if server.password:
        environment["PGPASSWORD"] = server.password
    if password is not None:
        environment["CODEREV_DB_PASSWORD"] = password  # as the compose file passes it
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)


@pytest.fixture
def target(postgres_url: str) -> Iterator[Target]:
    suffix = uuid.uuid4().hex[:10]
    made = Target(
        sa.make_url(postgres_url).set(database="postgres"),
        f"code_review_platform_{suffix}",
        f"coderev_{suffix}",
        f"pw-{uuid.uuid4().hex}",
    )
    yield made
    admin = create_database_engine(made.server.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{made.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'DROP ROLE IF EXISTS "{made.role}"'))
    admin.dispose()


def test_init_makes_the_database_role_and_seven_schemas_and_the_migrations_run_as_coderev(
    target: Target,
) -> None:
    result = run_init(target, password=target.password)
    assert result.returncode == 0, result.stderr

    engine = create_database_engine(target.as_role())
    try:
        with engine.connect() as conn:
            owners = dict(
                conn.execute(
                    sa.text(
                        "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace "
                        "WHERE nspname = ANY(:names)"
                    ),
                    {"names": sorted(SCHEMAS)},
                ).all()
            )
            role = conn.execute(
                sa.text(
                    "SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles "
                    "WHERE rolname = current_user"
                )
            ).one()
            database_owner = conn.execute(
                sa.text(
                    "SELECT pg_get_userbyid(datdba) FROM pg_database "
                    "WHERE datname = current_database()"
                )
            ).scalar()
        assert owners == dict.fromkeys(SCHEMAS, target.role)
        assert tuple(role) == (False, False, True)  # a login role, not a superuser
        assert database_owner == target.role

        # the migrations, connected as the role the coderev service uses
        assert migrations.upgrade(engine) == migrations.HEAD
        assert migrations.current(engine) == migrations.HEAD
        inspector = sa.inspect(engine)
        assert "analyses" in inspector.get_table_names(schema="projects")
        assert "events" in inspector.get_table_names(schema="audits")
        assert "providers" in inspector.get_table_names(schema="providers")
        assert set(inspector.get_schema_names()) >= SCHEMAS
    finally:
        engine.dispose()


def test_init_runs_again_without_error_and_keeps_the_migrated_tables(target: Target) -> None:
    assert run_init(target, password=target.password).returncode == 0
    engine = create_database_engine(target.as_role())
    try:
        migrations.upgrade(engine)
        again = run_init(target, password=target.password)
        assert again.returncode == 0, again.stderr
        assert migrations.current(engine) == migrations.HEAD
        assert "analyses" in sa.inspect(engine).get_table_names(schema="projects")
    finally:
        engine.dispose()


def test_init_without_a_password_fails_and_makes_no_role(target: Target) -> None:
    result = run_init(target, password=None)
    assert result.returncode != 0
    assert "CODEREV_DB_PASSWORD is not set" in result.stderr
    admin = create_database_engine(target.server.render_as_string(hide_password=False))
    try:
        with admin.connect() as conn:
            role = conn.execute(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": target.role}
            ).scalar()
        assert role is None
    finally:
        admin.dispose()
