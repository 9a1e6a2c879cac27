"""Who is calling: the Principal the authorizer put in `requestContext.authorizer`, as the
`Actor` the projects' use cases take (with the request id, for the audit trail).

API Gateway runs the authorizer before every protected route and the local gateway does the
same (coderev.runtime.gateway), so a protected route always has a principal. A request with
no authorizer context reaches a handler only where no authorizer runs at all: on AWS that is
a misconfigured route and is refused (401, AuthenticationError); on this machine (`coderev
serve` with no authorizer in its template, a test invoking a handler) the caller is the local
admin, as the embedded CLI is, and the audit trail records it as such (`kind: local`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.projects.events import Actor

__all__ = ["current_actor"]


def current_actor(event: Mapping[str, Any]) -> Actor:
    """The Actor of a proxy event; AuthenticationError (401) when it names no principal."""
    from coderev import bootstrap
    from coderev.auth.principal import LOCAL_ADMIN, Principal
    from coderev.projects.events import Actor

    context = event.get("requestContext") or {}
    request_id = context.get("requestId")
    authorizer = context.get("authorizer")
    if not authorizer and not bootstrap.on_aws():
        return Actor(LOCAL_ADMIN, request_id)
    return Actor(Principal.from_context(authorizer or {}), request_id)
