"""Architecture: the module graph, contracts and cycles of every shard's files; the code
graph goes to the GraphStore (embedded: `graph.sqlite` in the data dir) under the analysis id.

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
    from coderev.pipeline.steps import architecture

    settings = get_settings()
    # the code graph, under the analysis id, as the direct engine keeps it (unless nobody
    # will: CODEREV_CODE_GRAPH=false, a default `coderev review`'s private platform)
    graphs = bootstrap.graph_store(settings, settings.data_dir / "graph.sqlite") \
        if settings.code_graph else None  # fmt: skip
    # CODEREV_JOBS: the graph is built and written in a worker of the shared pool, if any
    return architecture(bootstrap.object_store(), task.analysis_id, graph_store=graphs,
                        jobs=settings.jobs)  # fmt: skip


lambda_handler = step_handler(AnalysisTask.from_event, _run, "ArchitectureAnalyzed")
