"""The registry that picks a reviewer by name.

The offline reviewer (rules, no API key) is registered as "offline". Other reviewers register
a factory under a name; `get_reviewer("acme:large")` finds the "acme" factory and hands it the
full name, so one factory serves every model of a provider. The AI review's names ("auto",
"openai:MODEL", "anthropic:MODEL", "hf:MODEL") are not looked up here: the pipeline builds
their reviewer with the router it is given (coderev.review.ai.reviewer).
"""

from __future__ import annotations

from collections.abc import Callable

from coderev.domain.errors import ConfigError
from coderev.review.offline import OfflineReviewer
from coderev.review.reviewer import Reviewer

DEFAULT_REVIEWER = "offline"

ReviewerFactory = Callable[[str], Reviewer]
"""Builds a reviewer for the requested name (e.g. "openai:gpt-4.1")."""


def _offline(name: str) -> Reviewer:
    return OfflineReviewer()


_FACTORIES: dict[str, ReviewerFactory] = {DEFAULT_REVIEWER: _offline}


def register_reviewer(name: str, factory: ReviewerFactory) -> None:
    """Make `factory` answer for `name` (and for "name:<model>"). Re-registering replaces."""
    key = name.strip().lower()
    if not key or ":" in key:
        raise ConfigError(f"reviewer name {name!r} must be non-empty and contain no ':'")
    _FACTORIES[key] = factory


def reviewer_names() -> tuple[str, ...]:
    return tuple(sorted(_FACTORIES))


def get_reviewer(name: str = DEFAULT_REVIEWER) -> Reviewer:
    """The reviewer registered as `name`, or as its provider part before ':'.

    Raises ConfigError naming the known reviewers when there is none.
    """
    requested = name.strip() or DEFAULT_REVIEWER
    key = requested.lower()
    factory = _FACTORIES.get(key) or _FACTORIES.get(key.partition(":")[0])
    if factory is None:
        raise ConfigError(
            f"unknown reviewer {name!r}; choose from {', '.join(reviewer_names())}"
        )
    return factory(requested)  # model names keep their case (Hugging Face ids need it)
