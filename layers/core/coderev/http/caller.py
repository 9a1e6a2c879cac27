"""Who is calling a route: the Principal the authorizer put in `requestContext.authorizer`.

API Gateway runs the authorizer before every protected route, and `coderev serve` does the
same; a request without an authorizer context reaches a handler only where none runs at all:
on AWS that is a misconfigured route and is refused (AuthenticationError, 401); on this machine
(a test invoking the handler, a template without the authorizer) it is the local admin, as the
embedded CLI is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from coderev.auth.principal import Principal

__all__ = ["current_principal"]


def current_principal(event: Mapping[str, Any]) -> Principal:
    from coderev import bootstrap
    from coderev.auth.principal import LOCAL_ADMIN, Principal

    authorizer = (event.get("requestContext") or {}).get("authorizer")
    if not authorizer and not bootstrap.on_aws():
        return LOCAL_ADMIN
    return Principal.from_context(authorizer or {})
