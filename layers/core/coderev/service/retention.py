"""What retention removes, planned first and then applied: `housekeeping`'s sweep applies the
plan at once; `coderev gc --dry-run` prints it without touching anything.

Beyond the uploads, reports and records the sweep always covered, a plan covers every other
trace an analysis leaves: its work files (`work/<id>/`, the steps' hand-offs; Finalize deletes
them on success, so these are a failed or vanished analysis' leftovers) and its code graph.
Work files go as soon as their analysis has ended (or no record names them: nothing can read
them any more); a CLI review's baseline goes with its upload; a graph goes with its record,
once retention deleted that (or when none exists). An analysis still QUEUED or RUNNING keeps
everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from coderev.analyses.model import AnalysisRecord, AnalysisStatus
from coderev.analyses.repository import AnalysisRepository
from coderev.ports import GraphStore, ObjectStore

__all__ = ["RetentionPlan", "apply_retention", "plan_retention"]

TERMINAL = (AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED)
WORK_PREFIX = "work/"
BASELINE_PREFIX = "baselines/"  # a CLI review's --baseline, beside its uploads/<same>/ archive
CONFIG_PREFIX = "configs/"  # a CLI review's --config too large for the metadata, likewise


@dataclass(frozen=True, slots=True)
class RetentionPlan:
    """Everything one sweep deletes, and the uploads it keeps."""

    record_cutoff: datetime
    uploads: tuple[str, ...]  # object keys
    reports: tuple[str, ...]  # object keys
    records: tuple[str, ...]  # analysis ids (terminal, not updated since record_cutoff)
    work: tuple[str, ...]  # object keys under work/
    baselines: tuple[str, ...]  # keys under baselines/ and configs/ whose upload is gone
    graphs: tuple[str, ...]  # graph ids (= analysis ids)
    uploads_kept: int
    bytes: int  # of the objects among the above (graphs and records not counted)


def plan_retention(
    store: ObjectStore,
    every: Iterable[AnalysisRecord],
    *,
    upload_cutoff: datetime,
    record_cutoff: datetime,
    arrival: Callable[[str, AnalysisRecord | None], datetime | None],
    graph_ids: Iterable[str] = (),
) -> RetentionPlan:
    """The plan for `every` record and the store's objects (see the module docstring).
    `arrival(key, newest record naming it)` tells when an upload arrived (None: unknown,
    kept)."""
    records = list(every)
    by_key: dict[str, list[AnalysisRecord]] = {}  # newest first: a key may have several
    for record in records:
        by_key.setdefault(record.object_key, []).append(record)
    size = 0
    uploads: list[str] = []
    kept = 0
    every_upload = list(store.list("uploads/"))
    for info in every_upload:
        named = by_key.get(info.key, [])
        created = arrival(info.key, named[0] if named else None)
        if created is not None and created < upload_cutoff and all(
            r.status in TERMINAL for r in named
        ):
            uploads.append(info.key)
            size += info.size
        else:
            kept += 1
    expired = [r for r in records if r.status in TERMINAL and r.updated_at < record_cutoff]
    reports = [key for r in expired for key in r.report_keys.values()]
    status = {r.id: r.status for r in records}
    work: list[str] = []
    for info in list(store.list(WORK_PREFIX)):
        owner = info.key.removeprefix(WORK_PREFIX).split("/", 1)[0]
        if status.get(owner) in (None, *TERMINAL):
            work.append(info.key)
            size += info.size
    gone = set(uploads)
    remaining = {_folder(i.key, "uploads/") for i in every_upload if i.key not in gone}
    baselines: list[str] = []
    for prefix in (BASELINE_PREFIX, CONFIG_PREFIX):
        for info in list(store.list(prefix)):
            if _folder(info.key, prefix) not in remaining:
                baselines.append(info.key)
                size += info.size
    surviving = set(status) - {r.id for r in expired}
    graphs = sorted(g for g in graph_ids if g not in surviving)
    return RetentionPlan(
        record_cutoff, tuple(uploads), tuple(reports), tuple(r.id for r in expired),
        tuple(work), tuple(baselines), tuple(graphs), kept, size,
    )  # fmt: skip


def apply_retention(
    plan: RetentionPlan,
    store: ObjectStore,
    records: AnalysisRepository,
    graphs: GraphStore | None = None,
) -> dict[str, int]:
    """Delete what `plan` lists; the counts, by kind."""
    for key in (*plan.uploads, *plan.reports, *plan.work, *plan.baselines):
        store.delete(key)
    deleted = records.delete_older_than(plan.record_cutoff, statuses=TERMINAL)
    if graphs is not None:
        for graph_id in plan.graphs:
            graphs.delete(graph_id)
    return {
        "uploads_deleted": len(plan.uploads),
        "reports_deleted": len(plan.reports),
        "records_deleted": deleted,
        "uploads_kept": plan.uploads_kept,
        "work_files_deleted": len(plan.work),
        "baselines_deleted": len(plan.baselines),
        "graphs_deleted": len(plan.graphs) if graphs is not None else 0,
    }


def _folder(key: str, prefix: str) -> str:
    """`uploads/<folder>/name` -> folder (`uploads/<name>.zip`, a flat key: the name)."""
    return key.removeprefix(prefix).split("/", 1)[0]


def cutoffs(now: datetime, upload_hours: float, retention_days: float) -> tuple[datetime, datetime]:
    """(upload cutoff, record cutoff) for a sweep at `now`."""
    return now - timedelta(hours=upload_hours), now - timedelta(days=retention_days)
