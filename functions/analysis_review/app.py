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
    from coderev.experiments.live import arrange_analysis
    from coderev.pipeline.steps import review

    settings = get_settings()
    # the configuration that reviews (an experiment's arm, else production's, else the
    # built-in one) and the report's context; CODEREV_REVIEWER unless the configuration or the
    # upload's request says
    arranged = arrange_analysis(bootstrap.experiments(), bootstrap.analysis_owner(),
                                task.analysis_id, settings,
                                bootstrap.configuration_in_force())  # fmt: skip
    # the reports are rendered on this process's worker pool if it has one (CODEREV_JOBS)
    return review(bootstrap.object_store(), task.analysis_id, task.baseline_key,
                  reviewer=settings.reviewer, models=bootstrap.review_models(),
                  arrangement=arranged, jobs=settings.jobs)  # fmt: skip


lambda_handler = step_handler(ReviewTask.from_event, _run, "Reviewed")
