"""The reviewer interface every reviewer implements, and the registry that picks one by name.

The offline reviewer (rules, no API key) is registered as "offline". AI reviewers register a
factory under their provider name; `get_reviewer("openai:gpt-4.1")` finds the "openai"
factory and hands it the full name, so one factory serves every model of a provider.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult
from coderev.domain.errors import ConfigError
from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.report import FindingsDrift
from coderev.domain.review import Review

DEFAULT_REVIEWER = "offline"


@dataclass(frozen=True, slots=True)
class ReviewInput:
    """Everything a reviewer may look at. Findings carry their new/existing status."""

    source: str  # what was reviewed (directory or archive name)
    findings: tuple[Finding, ...]
    files: tuple[SourceFileInfo, ...]
    architecture: ArchitectureResult
    architecture_drift: ArchitectureDrift | None = None  # set when a baseline was given
    findings_drift: FindingsDrift | None = None  # set when a baseline was given

    @property
    def has_baseline(self) -> bool:
        return self.findings_drift is not None or self.architecture_drift is not None


class Reviewer(Protocol):
    """Turns findings, metrics and architecture into review comments and a summary."""

    name: str

    def review(self, subject: ReviewInput) -> Review: ...


ReviewerFactory = Callable[[str], Reviewer]
"""Builds a reviewer for the requested name (e.g. "openai:gpt-4.1")."""


def _offline(name: str) -> Reviewer:
    from coderev.review.offline import OfflineReviewer  # imports this module: late on purpose

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
