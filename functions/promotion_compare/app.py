"""Compare: the first step of the promotion state machine (state_machines/promotion.asl.json).

The experiment's paired observations through coderev.comparison, and production's version the
comparison is made against. Task input: {"promotion_id", "experiment_id", "requester"}; result:
{"expected_version", "comparison"}. Errors are raised by type for the machine's Retry/Catch.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.promotion.tasks import PromotionTask
from coderev.service.step_handler import step_handler


def _run(task: PromotionTask) -> dict[str, Any]:
    return bootstrap.promotion_service().compare(
        task.promotion_id, task.need_experiment(), task.principal()
    )


lambda_handler = step_handler(PromotionTask.from_event, _run, "Compared",
                              correlation="promotion_id")  # fmt: skip
