"""Notify: how the promotion ended, announced (`coderev.promotion.completed` with the outcome,
or `coderev.promotion.failed` with the error and cause when the machine's Catch got here).

Task input: {"promotion_id", "experiment_id", "requester", "outcome"} or, on failure,
{..., "error", "cause"}; result: {"promotion_id", "notified": "completed" | "failed"}.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.promotion.tasks import PromotionTask
from coderev.service.step_handler import step_handler


def _run(task: PromotionTask) -> dict[str, Any]:
    return bootstrap.promotion_service().notify(
        task.promotion_id, task.need_experiment(), task.principal(), outcome=task.outcome,
        error=task.error, cause=task.cause,
    )  # fmt: skip


lambda_handler = step_handler(PromotionTask.from_event, _run, "Notified",
                              correlation="promotion_id")  # fmt: skip
