"""MergeReview: the models' comments merged with the offline reviewer's, every chunk
recorded (a failed one too), the reports rendered for Finalize.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import MergeReviewTask


def _run(task: MergeReviewTask) -> dict[str, Any]:
    from coderev.config import get_settings
    from coderev.experiments.live import record_served
    from coderev.pipeline.steps import merge_review

    def observe(result: Any) -> None:  # the arm's outcome, when the analysis is in one
        tenant, _ = bootstrap.analysis_owner()(task.analysis_id)
        record_served(bootstrap.experiments(), tenant, result)

    # the reports are rendered on this process's worker pool if it has one (CODEREV_JOBS)
    return merge_review(bootstrap.object_store(), task.analysis_id, task.reviewed, observe,
                        jobs=get_settings().jobs)  # fmt: skip


lambda_handler = step_handler(MergeReviewTask.from_event, _run, "ReviewMerged")
