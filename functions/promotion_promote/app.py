"""Promote: the allowed candidate written to production as its next version (atomically; only
if production is still at the compared version), the experiment marked promoted, announced.

Task input: {"promotion_id"}; result: {"status": "promoted", "version", "config", ...}.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.promotion.tasks import PromotionTask
from coderev.service.step_handler import step_handler


def _run(task: PromotionTask) -> dict[str, Any]:
    release = bootstrap.promotion_service().promote(task.promotion_id)
    return {"status": "promoted", "version": release.version,
            "previous_version": release.previous_version,
            "config": {"id": release.config.id, "version": release.config.version}}  # fmt: skip


lambda_handler = step_handler(PromotionTask.from_event, _run, "Promoted",
                              correlation="promotion_id")  # fmt: skip
