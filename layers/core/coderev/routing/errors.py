"""Routing's own errors (the provider errors a call meets are coderev.domain.errors')."""

from __future__ import annotations

from coderev.domain.errors import InputError

__all__ = ["InvalidRouteRequestError"]


class InvalidRouteRequestError(InputError):
    """A route preview request that is not a task (a field missing or out of range)."""
