"""AnalyzeShard: analyse one shard's files (one iteration of the AnalyzeShards Map).

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import ShardTask


def _run(task: ShardTask) -> dict[str, Any]:
    from coderev.config import get_settings
    from coderev.pipeline.steps import analyze_shard

    jobs = get_settings().jobs  # CODEREV_JOBS; 0: one worker per CPU the sandbox has
    return analyze_shard(bootstrap.object_store(), task.analysis_id, task.shard, jobs=jobs,
                         files=task.files)  # fmt: skip


lambda_handler = step_handler(ShardTask.from_event, _run, "ShardAnalyzed")
