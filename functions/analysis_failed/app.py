"""MarkFailed: the Catch of every step; record FAILED with the error and cause.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import FailedTask


def _run(task: FailedTask) -> dict[str, Any]:
    from coderev.pipeline.steps import mark_failed

    return mark_failed(
        bootstrap.analysis_repository(),
        bootstrap.event_bus(),
        task.analysis_id,
        task.error,
        task.cause,
    )


lambda_handler = step_handler(FailedTask.from_event, _run, "MarkedFailed")
