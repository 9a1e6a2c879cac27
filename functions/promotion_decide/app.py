"""PolicyDecision: the promotion policy (promotion.rego, through the PolicyEngine port) asked
with the comparison, the experiment's plan and the requester; the decision record kept.

Task input: {"promotion_id", "experiment_id", "requester", "comparison", "expected_version"};
result: {"allow", "reasons", "policy": {"path", "version", "bundle_hash"}}, which the machine's
Choice reads. A redrive gets the decision already kept, never a new one.
"""

from __future__ import annotations

from typing import Any

from coderev import bootstrap
from coderev.promotion.tasks import PromotionTask
from coderev.service.step_handler import step_handler


def _run(task: PromotionTask) -> dict[str, Any]:
    record = bootstrap.promotion_service().decide(
        task.promotion_id, task.need_experiment(), task.principal(), task.comparison or {},
        task.expected_version,
    )  # fmt: skip
    return {"allow": record.allow, "reasons": list(record.reasons),
            "policy": record.as_dict()["policy"]}  # fmt: skip


lambda_handler = step_handler(PromotionTask.from_event, _run, "Decided",
                              correlation="promotion_id")  # fmt: skip
