"""ReviewChunk: one chunk of an AI review sent to a routed model (one iteration of the
ReviewChunks Map); the reply checked and recorded, or the chunk recorded failed.

A Task of the analysis state machine (state_machines/analysis.asl.json), built by
`coderev.service.step_handler`: it parses the task, runs the step, raises errors by type.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.service.step_handler import step_handler
from coderev.service.task_inputs import ChunkTask


def _run(task: ChunkTask) -> dict[str, Any]:
    from coderev.pipeline.steps import review_chunk

    return review_chunk(bootstrap.object_store(), task.analysis_id, task.chunk,
                        bootstrap.review_models())  # fmt: skip


lambda_handler = step_handler(ChunkTask.from_event, _run, "ChunkReviewed")
