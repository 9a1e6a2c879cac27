"""A new SQLite database made from a snapshot of the migrated schema, not by the migrations.

Every `coderev review` runs on a private embedded platform whose SQLite database is new
(coderev.runtime.platform.ephemeral): importing Alembic and running the seven migrations took
0.5-0.8 s of each review, on one core, before anything was analysed. As Rails loads
`schema.rb` into a new database instead of replaying its migrations, `upgrade` fills a new,
empty SQLite database from `sqlite_head.json`: the statements `sqlite3`'s `iterdump` gives
of a database the migrations brought to HEAD (tables, indexes, triggers, the rows they
insert, `alembic_version`), run in one immediate transaction (about 5 ms). A database that
already has a table, PostgreSQL, an in-memory database and a `schema=` of its own are
migrated as before, and so is everything when the snapshot's revision is not HEAD: a snapshot
left behind by a new migration costs time, never a wrong schema (a test fails until it is
written again: `python -m coderev.migrations.snapshot`).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import Engine

from coderev.migrations.versioning import HEAD

__all__ = ["SNAPSHOT", "dump", "restore", "write_snapshot"]

SNAPSHOT = Path(__file__).with_name("sqlite_head.json")


def restore(engine: Engine) -> bool:
    """Fill the SQLite database of `engine` from the snapshot if it is empty and the snapshot
    is at HEAD; whether it did (else the caller migrates)."""
    path = engine.url.database
    if (
        engine.dialect.name != "sqlite"
        or not path
        or path == ":memory:"
        or path.startswith("file:")
    ):
        return False
    try:
        snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if snapshot.get("revision") != HEAD:
        return False
    with contextlib.closing(sqlite3.connect(path, timeout=30, isolation_level=None)) as db:
        db.execute("BEGIN IMMEDIATE")  # as the migrations' lock: one process fills it
        try:
            if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                db.execute("ROLLBACK")  # another process made tables first: migrate it
                return False
            for statement in snapshot["statements"]:
                db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    return True


def dump(path: Path) -> list[str]:
    """The statements that make the SQLite database at `path` again (iterdump's, without its
    transaction, which `restore` opens itself). A timestamp a migration wrote into a row is
    the moment it ran (0006's default project: `now()`); it is written `CURRENT_TIMESTAMP`,
    so a restored row has its own database's moment, as a migrated one has."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        statements = [s for s in db.iterdump() if s not in ("BEGIN TRANSACTION;", "COMMIT;")]
    return [_MOMENT.sub("CURRENT_TIMESTAMP", s) if s.startswith("INSERT") else s
            for s in statements]  # fmt: skip


_MOMENT = re.compile(r"'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d'")  # SQLite's CURRENT_TIMESTAMP


def write_snapshot() -> Path:
    """Migrate a new SQLite database to HEAD and write its snapshot; the snapshot's path."""
    from coderev.analyses.database import create_database_engine
    from coderev.migrations.runner import migrate

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "head.db"
        engine = create_database_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
        finally:
            engine.dispose()
        statements = dump(path)
    SNAPSHOT.write_text(
        json.dumps({"revision": HEAD, "statements": statements}, indent=1) + "\n",
        encoding="utf-8",
    )
    return SNAPSHOT


if __name__ == "__main__":
    print(f"wrote {write_snapshot()}")
