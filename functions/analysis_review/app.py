"""Review: combine, baseline-mark and review the findings; render the reports for Finalize,
or, for an AI review, plan the chunks the ReviewChunks Map sends to models.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import ReviewTask


def _run(task: ReviewTask) -> dict[str, Any]:
    from coderev.config import get_settings
    from coderev.pipeline.steps import review

    reviewer = get_settings().reviewer  # CODEREV_REVIEWER, unless the upload's request says
    return review(bootstrap.object_store(), task.analysis_id, task.baseline_key,
                  reviewer=reviewer, models=bootstrap.review_models())  # fmt: skip


lambda_handler = step_handler(ReviewTask.from_event, _run, "Reviewed")
