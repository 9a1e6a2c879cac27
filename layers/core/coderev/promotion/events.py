"""Promotion's events: one CloudEvents 1.0 event per step that changes something, published on
its `coderev.<entity>.<verb>` topic and recorded in the audit trail in the same step.

Types: `coderev.promotion.decided`, `.promoted`, `.quarantined`, `.completed`, `.failed`;
`coderev.production.rolled_back`. An event's id is derived from what it is about (the
promotion id and the verb, or the release), so a retried or redriven step publishes the same
event again and the audit trail, which keeps an event once per source + id, has one row; the
audit sink recording the same event from Kafka adds none either. The extension attributes
`tenantid` and `actorid` make the trail searchable by tenant and actor. Never a secret: a
requester is named by subject and kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.audit.repository import AuditRepository
    from coderev.ports import EventBus

__all__ = ["EVENT_SOURCE", "Announcer"]

EVENT_SOURCE = "/coderev/promotion"


class Announcer:
    """Publishes an event and records its audit row; either port may be None (not wired)."""

    def __init__(self, bus: EventBus | None, audit: AuditRepository | None) -> None:
        self.bus = bus
        self.audit = audit

    def announce(
        self, event_type: str, *, event_id: str, subject: str, tenant: str, actor: str,
        data: Mapping[str, Any], time: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        from coderev.audit.model import AuditEntry
        from coderev.domain.events import cloud_event, topic_for

        event = cloud_event(event_type, EVENT_SOURCE, {"tenant": tenant, **data},
                            subject=subject[:1024], id=event_id[:255], time=time)  # fmt: skip
        event["tenantid"] = tenant[:128]
        event["actorid"] = actor[:128]
        if self.audit is not None:
            self.audit.record(AuditEntry.from_cloudevent(event))
        if self.bus is not None:
            self.bus.publish(topic_for(event_type), event, key=subject)
            self.bus.flush()
        return event
