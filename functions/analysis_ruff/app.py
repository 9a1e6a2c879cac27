"""Ruff: ruff over every Python file of the analysis at once, beside the AnalyzeShards Map.

A Task of the analysis state machine (state_machines/analysis.asl.json), the second branch of
its Parallel state, built by `coderev.service.step_handler`: it parses the task, runs the
step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import AnalysisTask


def _run(task: AnalysisTask) -> dict[str, Any]:
    from coderev.pipeline.steps import ruff

    return ruff(bootstrap.object_store(), task.analysis_id)


lambda_handler = step_handler(AnalysisTask.from_event, _run, "RuffChecked")
