"""Finalize: publish the reports, record SUCCEEDED, announce coderev.analysis.completed.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import AnalysisTask


def _run(task: AnalysisTask) -> dict[str, Any]:
    from coderev.pipeline.steps import finalize

    return finalize(
        bootstrap.object_store(),
        bootstrap.analysis_repository(),
        bootstrap.event_bus(),
        task.analysis_id,
    )


lambda_handler = step_handler(AnalysisTask.from_event, _run, "Finalized")
