"""Taking and restoring one backup (see the package docstring)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from coderev.domain.errors import CoderevError
from coderev.ports import GraphEdge, GraphNode, GraphScope, GraphStore, ObjectStore

FORMAT = 1


class BackupError(CoderevError):
    """A backup cannot be taken or restored (a tool failed, a file is missing or altered)."""


@dataclass(frozen=True, slots=True)
class Manifest:
    format: int
    created_at: str
    database: str  # "postgres" | "sqlite"
    database_file: str
    database_sha256: str
    objects: int
    graphs: int


def create_backup(
    directory: Path, database_url: str, objects: ObjectStore, graphs: GraphStore
) -> tuple[Path, Manifest]:
    """A new backup in directory/<UTC timestamp>/; its path and manifest."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / stamp
    target.mkdir(parents=True)
    kind, file = _dump_database(database_url, target)
    count = _dump_objects(objects, target)
    graph_count = _dump_graphs(graphs, target / "graphs.jsonl")
    manifest = Manifest(FORMAT, stamp, kind, file.name, _sha256(file), count, graph_count)
    (target / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2))
    return target, manifest


def restore_backup(
    backup: Path, database_url: str, objects: ObjectStore, graphs: GraphStore
) -> Manifest:
    """Put a backup back: the database replaced, its objects and graphs written over."""
    try:
        manifest = Manifest(**json.loads((backup / "manifest.json").read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{backup} holds no readable manifest.json: {exc}") from None
    file = backup / manifest.database_file
    if _sha256(file) != manifest.database_sha256:
        raise BackupError(f"{file} does not match its checksum in the manifest")
    _restore_database(database_url, file, manifest.database)
    _restore_objects(objects, backup)
    _restore_graphs(graphs, backup / "graphs.jsonl")
    return manifest


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups in directory; the ones deleted."""
    backups = sorted(p for p in directory.iterdir() if (p / "manifest.json").is_file())
    doomed = backups[:-keep] if keep > 0 else []
    for path in doomed:
        shutil.rmtree(path)
    return doomed


# --- the database -----------------------------------------------------------------------------


def _dump_database(url: str, target: Path) -> tuple[str, Path]:
    if url.startswith("sqlite:///"):
        file = target / "database.sqlite"
        with (
            sqlite3.connect(url.removeprefix("sqlite:///")) as source,
            sqlite3.connect(file) as copy,
        ):
            source.backup(copy)
        return "sqlite", file
    file = target / "postgres.dump"
    dsn, env = _libpq(url)
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={file}", f"--dbname={dsn}"], env)
    return "postgres", file


def _restore_database(url: str, file: Path, kind: str) -> None:
    if kind == "sqlite":
        if not url.startswith("sqlite:///"):
            raise BackupError("this backup holds a SQLite database: unset DATABASE_URL")
        with (
            sqlite3.connect(file) as source,
            sqlite3.connect(url.removeprefix("sqlite:///")) as live,
        ):
            source.backup(live)
        return
    dsn, env = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={dsn}", str(file)], env)  # fmt: skip


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    bare = parsed.set(drivername="postgresql", password=None)
    return bare.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")


# --- objects and graphs -----------------------------------------------------------------------


def _dump_objects(store: ObjectStore, target: Path) -> int:
    count = 0
    with open(target / "objects.jsonl", "w") as index:
        for info in store.list():
            data = store.get(info.key)
            head = store.head(info.key)  # listings do not carry user metadata; HEAD does
            metadata = dict(head.metadata) if head else dict(info.metadata)
            digest = hashlib.sha256(data).hexdigest()
            (target / "objects").mkdir(exist_ok=True)
            (target / "objects" / digest).write_bytes(data)
            line = {"key": info.key, "metadata": metadata, "sha256": digest}
            index.write(json.dumps(line) + "\n")
            count += 1
    return count


def _restore_objects(store: ObjectStore, backup: Path) -> None:
    for line in (backup / "objects.jsonl").read_text().splitlines():
        entry = json.loads(line)
        data = (backup / "objects" / entry["sha256"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise BackupError(f"the object {entry['key']} does not match its checksum")
        store.put(entry["key"], data, metadata=entry["metadata"])


def _dump_graphs(store: GraphStore, path: Path) -> int:
    graph_ids: list[str] = list(getattr(store, "graph_ids", list)())
    scope_of = getattr(store, "scope", None)
    with open(path, "w") as out:
        for graph_id in graph_ids:
            scope = scope_of(graph_id) if callable(scope_of) else None
            record: dict[str, Any] = {
                "graph_id": graph_id,
                "scope": asdict(scope) if scope else None,
                "nodes": [[n.id, n.label, dict(n.properties)] for n in store.nodes(graph_id)],
                "edges": [
                    [e.source, e.target, e.type, dict(e.properties)] for e in store.edges(graph_id)
                ],
            }
            out.write(json.dumps(record, sort_keys=True) + "\n")
    return len(graph_ids)


def _restore_graphs(store: GraphStore, path: Path) -> None:
    for line in path.read_text().splitlines():
        record = json.loads(line)
        nodes = [GraphNode(i, label, props) for i, label, props in record["nodes"]]
        edges = [GraphEdge(s, t, ty, props) for s, t, ty, props in record["edges"]]
        scope = GraphScope(**record["scope"]) if record["scope"] else None
        store.write(record["graph_id"], nodes, edges, scope=scope)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
