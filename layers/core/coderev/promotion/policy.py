"""The promotion policy's question and which policy answered it.

`decision_input` builds the document `data.coderev.promotion.decision` (promotion.rego in
coderev.policy's folder) is asked with: the requester, the experiment and its plan, the
comparison's result, the time and the freeze windows, all as plain JSON with times as
nanoseconds, so the recorded input re-evaluates to the same answer. `policy_ref` names the
policy: the rules' version (promotion.rego's `version`, mirrored here and checked by a test)
and the sha256 of the whole bundle (every module's name and source, sorted), which an OPA
server loads from the same folder (infrastructure/opa/policies links to it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from coderev.promotion.model import ExperimentView, FreezeWindow, PolicyRef

if TYPE_CHECKING:
    from coderev.auth.principal import Principal

__all__ = ["POLICY_PATH", "POLICY_VERSION", "bundle_hash", "decision_input", "policy_ref"]

POLICY_PATH = "coderev/promotion/decision"
POLICY_VERSION = "promotion/1"


def bundle_hash(modules: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(modules):
        for part in (name, modules[name]):
            data = part.encode("utf-8")
            digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def policy_ref(modules: Mapping[str, str]) -> PolicyRef:
    return PolicyRef(POLICY_PATH, POLICY_VERSION, bundle_hash(modules))


def ns(moment: datetime) -> int:
    """Nanoseconds since the epoch of an aware time (what the policy compares)."""
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def decision_input(
    requester: Principal,
    experiment: ExperimentView,
    comparison: Mapping[str, Any],
    *,
    now: datetime,
    freeze_windows: Sequence[FreezeWindow] = (),
) -> dict[str, Any]:
    return {
        "requester": {"subject": requester.subject, "tenant": requester.tenant,
                      "roles": sorted(requester.roles), "kind": requester.kind},
        "experiment": {"id": experiment.id, "tenant": experiment.tenant,
                       "project": experiment.project, "plan": experiment.plan.as_dict(),
                       "baseline": experiment.baseline.as_dict(),
                       "candidate": experiment.candidate.as_dict()},
        "comparison": dict(comparison),
        "now": now.isoformat(),
        "now_ns": ns(now),
        "freeze_windows": [
            {"name": w.name, "start": w.start.isoformat(), "end": w.end.isoformat(),
             "start_ns": ns(w.start), "end_ns": ns(w.end)}
            for w in freeze_windows
        ],
    }  # fmt: skip
