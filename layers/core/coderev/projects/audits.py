"""Reading the audit trail: the admins of a tenant read their tenant's entries, never
another's (the tenant is the principal's, not a filter the caller chooses). A refused read
is itself audited (`coderev.access.denied`). Pages go by the entries' place in the trail
(`seq`): the cursor is the last entry's."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from coderev.projects.access import Action, require, tenant_role
from coderev.projects.errors import AccessDeniedError, InvalidProjectError
from coderev.projects.events import Actor, publish_mutation

if TYPE_CHECKING:
    from coderev.audit.model import AuditEntry
    from coderev.audit.repository import AuditRepository
    from coderev.ports import EventBus

__all__ = ["read_audits"]


def read_audits(
    audit: AuditRepository, actor: Actor, *, type: str | None = None,
    subject: str | None = None, who: str | None = None, since: datetime | None = None,
    until: datetime | None = None, cursor: str | None = None, limit: int = 50,
    events: EventBus | None = None,
) -> tuple[list[AuditEntry], str | None]:  # fmt: skip
    """A page of the actor's tenant's audit entries, newest first, and the next cursor."""
    try:
        require(tenant_role(actor.principal), Action.READ_AUDIT, "audits")
    except AccessDeniedError:
        publish_mutation(events, actor, "coderev.access.denied", Action.READ_AUDIT.value,
                         "audits", outcome="denied")  # fmt: skip
        raise
    before = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 19:
            raise InvalidProjectError("the cursor is not one this API handed out")
        before = int(cursor)
    for moment in (since, until):
        if moment is not None and moment.tzinfo is None:
            raise InvalidProjectError("since and until need a time zone (e.g. Z)")
    entries = audit.list(type=type, subject=subject, tenant_id=actor.tenant, actor_id=who,
                         since=since, until=until, before=before, limit=limit + 1)  # fmt: skip
    page = entries[:limit]
    more = len(entries) > limit and page and page[-1].seq is not None
    return page, str(page[-1].seq) if more else None
