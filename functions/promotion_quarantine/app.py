"""Quarantine: the refused candidate recorded in quarantine with the rules that refused it, the
experiment marked quarantined, announced.

Task input: {"promotion_id"}; result: {"status": "quarantined", "reasons", "config"}.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.promotion.tasks import PromotionTask
from coderev.service.step_handler import step_handler


def _run(task: PromotionTask) -> dict[str, Any]:
    entry = bootstrap.promotion_service().quarantine(task.promotion_id)
    return {"status": "quarantined", "reasons": list(entry.reasons),
            "config": {"id": entry.config.id, "version": entry.config.version}}  # fmt: skip


lambda_handler = step_handler(PromotionTask.from_event, _run, "Quarantined",
                              correlation="promotion_id")  # fmt: skip
