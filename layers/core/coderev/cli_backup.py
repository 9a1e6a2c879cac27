"""`coderev backup` and `coderev restore`: the database, the object store and the graph store
(coderev.backup), on the backends the environment names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from coderev.ports import GraphStore, ObjectStore


def backup(
    directory: Annotated[Path, typer.Argument(help="where backups go: one subdirectory each")],
    keep: Annotated[
        int, typer.Option(help="then delete all but the KEEP newest backups (0: none)")
    ] = 0,
) -> None:
    """Back up the records' database, the object store and every code graph."""
    from coderev.backup import BackupError, create_backup, prune

    url, objects, graphs = _backends()
    try:
        path, manifest = create_backup(directory, url, objects, graphs)
    except BackupError as exc:
        raise _exit(exc) from None
    typer.echo(f"{path}: {manifest.database} database, {manifest.objects} objects, "
               f"{manifest.graphs} graphs")  # fmt: skip
    for old in prune(directory, keep):
        typer.echo(f"{old}: deleted (keeping the {keep} newest)")


def restore(
    backup_dir: Annotated[Path, typer.Argument(help="one backup `coderev backup` made")],
) -> None:
    """Restore a backup: the database replaced, its objects and graphs written back."""
    from coderev.backup import BackupError, restore_backup

    url, objects, graphs = _backends()
    try:
        manifest = restore_backup(backup_dir, url, objects, graphs)
    except BackupError as exc:
        raise _exit(exc) from None
    typer.echo(f"{backup_dir}: restored {manifest.database} database, {manifest.objects} "
               f"objects, {manifest.graphs} graphs")  # fmt: skip


def _backends() -> tuple[str, ObjectStore, GraphStore]:
    from coderev import bootstrap
    from coderev.analyses.database import database_url
    from coderev.config import get_settings

    settings = get_settings()
    url = database_url(settings.database_url, settings.data_dir)
    graphs = bootstrap.graph_store(settings, settings.data_dir / "graph.sqlite")
    return url, bootstrap.object_store(), graphs


def _exit(exc: Exception) -> typer.Exit:
    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
    return typer.Exit(3)
