"""`coderev gc`: what this machine's platform keeps, and reclaiming what retention no longer
needs — the housekeeping sweep run now (uploads, reports, records past retention, work files
of ended analyses, baselines of deleted uploads, code graphs of deleted records), executions
that ended before the retention cutoff, coderev's temp dirs whose process is gone (a killed
review's data dir, ruff's copy of the code: `coderev.scratch`), then VACUUM of the SQLite files
so the space returns to the disk. `--dry-run` measures and plans, and deletes nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["DataDirUsage", "Reclaimed", "reclaim", "usage"]

_SQLITE_FILES = ("graph.sqlite", "executions.db", "coderev.db", "idempotency.db")


@dataclass(frozen=True, slots=True)
class DataDirUsage:
    """Bytes on disk per part of the data dir."""

    parts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.parts.values())


@dataclass(frozen=True, slots=True)
class Reclaimed:
    before: DataDirUsage
    after: DataDirUsage | None  # None for a dry run
    counts: dict[str, int]  # what was (or, dry run, would be) deleted, by kind
    planned_bytes: int  # object bytes the plan deletes (files shrink further on VACUUM)


def usage(data_dir: Path) -> DataDirUsage:
    parts: dict[str, int] = {}
    objects = data_dir / "objects"
    if objects.is_dir():
        for child in sorted(objects.rglob("*")):
            if child.is_file():
                top = child.relative_to(objects).parts
                name = top[1].removesuffix(".d") if len(top) > 2 else "objects"
                key = f"objects/{name}"
                size = child.stat().st_size
                if size:
                    parts[key] = parts.get(key, 0) + size
    for name in _SQLITE_FILES:
        files = [data_dir / name, *data_dir.glob(f"{name}-*")]  # -wal, -shm, -journal
        size = sum(f.stat().st_size for f in files if f.is_file())
        if size:
            parts[name] = size
    return DataDirUsage(parts)


def reclaim(*, dry_run: bool = False, now: datetime | None = None) -> Reclaimed:
    """Run (or plan) the collection on the configured platform's data dir and backends."""
    from coderev import bootstrap
    from coderev.config import get_settings
    from coderev.runtime.platform.serve import execution_store
    from coderev.scratch import remove_abandoned
    from coderev.service.housekeeping import plan_sweep
    from coderev.service.retention import apply_retention

    settings = get_settings()
    moment = now or datetime.now(UTC)
    before = usage(settings.data_dir)
    store, records = bootstrap.object_store(), bootstrap.analysis_repository()
    graphs = bootstrap.graph_store(settings, settings.data_dir / "graph.sqlite")
    plan = plan_sweep(
        store, records, upload_hours=settings.upload_hours,
        retention_days=settings.retention_days, now=moment, graphs=graphs,
    )  # fmt: skip
    executions = execution_store(settings)
    ended = executions.delete_ended_before(plan.record_cutoff, dry_run=dry_run)
    if dry_run:
        counts = {"uploads": len(plan.uploads), "reports": len(plan.reports),
                  "records": len(plan.records), "work_files": len(plan.work),
                  "baselines": len(plan.baselines), "graphs": len(plan.graphs),
                  "executions": ended,
                  "temp_dirs": len(remove_abandoned(dry_run=True))}  # fmt: skip
        return Reclaimed(before, None, counts, plan.bytes)
    done = apply_retention(plan, store, records, graphs)
    delete_expired = getattr(bootstrap.idempotency_store(), "delete_expired", None)
    counts = {key.removesuffix("_deleted"): value for key, value in done.items()
              if key.endswith("_deleted")}  # fmt: skip
    counts["executions"] = ended
    counts["idempotency"] = int(delete_expired(moment.timestamp())) if delete_expired else 0
    counts["temp_dirs"] = len(remove_abandoned())
    close = getattr(graphs, "close", None)
    if callable(close):
        close()
    for name in _SQLITE_FILES:
        _vacuum(settings.data_dir / name)
    return Reclaimed(before, usage(settings.data_dir), counts, plan.bytes)


def _vacuum(path: Path) -> None:
    """Give a SQLite file's free pages back to the disk (deleting rows does not). In WAL mode
    VACUUM writes the rebuilt database into the write-ahead log first, which outlives this
    connection while the process holds others: it is checkpointed into the file and truncated,
    or the data dir would look larger after `coderev gc` than before."""
    if not path.is_file():
        return
    db = sqlite3.connect(path, timeout=30.0)
    try:
        db.execute("VACUUM")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # a no-op outside WAL mode
    finally:
        db.close()
