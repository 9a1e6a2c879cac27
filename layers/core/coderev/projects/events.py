"""The audit events of mutations: who did what to which target, in which tenant, when, under
which request, and how it ended — one CloudEvents 1.0 event per action, allowed or denied.

Types are `coderev.<entity>.<verb>` (the Kafka topic too): `coderev.project.created`,
`.updated`, `.deleted`, `.member_changed`, `.baseline_changed`; `coderev.analysis.requested`
(an upload, a presigned upload or a rerun through a project); `coderev.access.denied` (any
action refused for the principal's roles). The extension attributes `tenantid` and `actorid`
let the audit trail be searched by tenant and actor (coderev.audit lifts them).
Never a secret: a principal is named by its subject and kind, a token by nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.auth.principal import Principal
    from coderev.ports import EventBus

__all__ = ["EVENT_SOURCE", "Actor", "publish_mutation"]

EVENT_SOURCE = "/coderev/projects"
MAX_DETAIL_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks, and the request it asked in (for the audit trail)."""

    principal: Principal
    request_id: str | None = None

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def subject(self) -> str:
        return self.principal.subject


def publish_mutation(
    bus: EventBus | None, actor: Actor, event_type: str, action: str, target: str,
    outcome: str = "succeeded", details: Mapping[str, Any] | None = None,
) -> None:  # fmt: skip
    """Publish the audit event of `action` on `target` (see the module docstring)."""
    if bus is None:
        return
    from coderev.domain.events import cloud_event, topic_for

    data = {
        "actor": {"subject": actor.subject, "kind": actor.principal.kind},
        "tenant": actor.tenant,
        "action": action,
        "target": target,
        "outcome": outcome,
        "request_id": actor.request_id,
        "details": dict(details or {}),
    }
    event = cloud_event(event_type, EVENT_SOURCE, data, subject=target[:1024])
    event["tenantid"] = actor.tenant
    event["actorid"] = actor.subject[:128]
    bus.publish(topic_for(event_type), event, key=target)
    bus.flush()
