"""Index: read the recorded upload, plan the shards, write their inputs.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import AnalysisTask


def _run(task: AnalysisTask) -> dict[str, Any]:
    from coderev.config import get_settings
    from coderev.pipeline.parallel import worker_count
    from coderev.pipeline.steps import index

    # the AnalyzeShard steps' pool (CODEREV_JOBS, as theirs): shards in multiples of it
    workers = worker_count(get_settings().jobs)
    return index(bootstrap.object_store(), bootstrap.analysis_repository(), task.analysis_id,
                 workers=workers)  # fmt: skip


lambda_handler = step_handler(AnalysisTask.from_event, _run, "Indexed")
