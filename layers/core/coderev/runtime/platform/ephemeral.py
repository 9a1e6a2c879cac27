"""An embedded platform of its own for one `coderev review`, gone when the review is.

A CLI review through the platform uploads its archive, writes work files, reports, an
analysis record and an execution history: on the user's data dir, a dozen reviews
of Django left 0.5 GB behind. By default a review therefore runs on a private data dir under
the system temp dir, with every backend variable unset (the platform's embedded defaults:
nothing reaches a database, bucket or broker the user configured), and removes it at the
end; `coderev review --keep` runs on the configured platform instead and keeps the analysis
for `coderev executions show`. A review killed before it could clean up (kill -9) leaves its
directory; the next review removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from coderev.runtime.platform.assembly import HOST_VARIABLES
from coderev.scratch import make_dir, remove_abandoned

__all__ = ["ephemeral_platform"]


@contextlib.contextmanager
def ephemeral_platform() -> Iterator[Path]:
    """Run the body on a fresh embedded data dir (yielded), then restore and remove it."""
    from coderev import bootstrap

    remove_abandoned()
    run_dir = make_dir("review")
    private = ("CODEREV_CODE_GRAPH", "CODEREV_DURABLE_WRITES", "CODEREV_WORK_IN_MEMORY")
    saved = {name: os.environ.get(name) for name in (*HOST_VARIABLES, *private)}
    for name in HOST_VARIABLES:
        os.environ.pop(name, None)
    os.environ["CODEREV_DATA_DIR"] = str(run_dir)
    # nobody could read a code graph written here (the data dir goes with the review): on
    # Django, half a second of the Architecture step's SQLite writes saved
    os.environ["CODEREV_CODE_GRAPH"] = "false"
    # nor need what is written here survive a power cut: no fsync of objects or SQLite commits
    # (the page cache holds them until the dir goes); on Django 0.5-1 s of waiting for the disk
    os.environ["CODEREV_DURABLE_WRITES"] = "false"
    # nor anything but this process read the analysis' work files, written only to be deleted:
    # the steps hold them in memory (on Django 0.6 s of CPU encoding JSON saved)
    os.environ["CODEREV_WORK_IN_MEMORY"] = "true"
    bootstrap.reset()
    try:
        yield run_dir
    finally:
        from coderev.pipeline.steps_work import release_held

        release_held()  # what an analysis that never ended left held: its store is going
        bootstrap.reset()  # close what was built on the run's data dir before removing it
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(run_dir, ignore_errors=True)
