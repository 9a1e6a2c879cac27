"""What a review run is asked to do."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coderev.domain.architecture import ArchitectureResult
from coderev.domain.config import ProjectConfig
from coderev.domain.findings import Finding
from coderev.domain.lint import LintConfigMode

if TYPE_CHECKING:
    from coderev.domain.report import ReviewContext, ReviewResult
    from coderev.review.ai.calls import ChunkRouter
    from coderev.review.ai.settings import AISettings


@dataclass(frozen=True, slots=True)
class BaselineInput:
    """The parts of an earlier report a run compares against."""

    fingerprints: Collection[str]
    architecture: ArchitectureResult


def _no_models() -> ChunkRouter | None:
    return None


@dataclass(frozen=True, slots=True)
class ModelAccess:
    """How an AI review reaches models: `router()` builds the router (None when no provider
    is configured: `auto` then runs offline), called only when an AI review is asked for."""

    router: Callable[[], ChunkRouter | None] = _no_models
    settings: AISettings | None = None


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    jobs: int = 0  # worker processes; 0 = one per CPU, 1 = in this process
    file_budget_seconds: float = 10.0
    reviewer: str = "offline"  # or "auto", "openai:MODEL", ... (coderev.review.ai.names)
    models: ModelAccess = field(default_factory=ModelAccess)
    baseline: BaselineInput | None = None
    config: ProjectConfig | None = None  # overrides the repository's own configuration
    source_root: Path | None = None  # set for directory inputs: ruff then reads files in place
    lint_config: LintConfigMode = LintConfigMode.PROJECT  # whose ruff configuration applies
    extra_tool_versions: dict[str, str] = field(default_factory=dict)
    # A review configuration's severity policy (coderev.experiments.configured), applied after
    # the catalogue's: findings in, the ones reported out. None: the catalogue's alone.
    finding_policy: Callable[[Sequence[Finding]], list[Finding]] | None = None


FindingPolicy = Callable[[Sequence[Finding]], list[Finding]]


@dataclass(frozen=True, slots=True)
class ReviewArrangement:
    """How the Review step of one live analysis is arranged (coderev.experiments.live): the
    report's context, the configuration's reviewer (unless the upload's request names one)
    and severity policy; `shadow`: the other arm and its policy, reviewed again offline for
    a paired observation; `observe(arm, result)` records an arm's outcome."""

    context: ReviewContext
    reviewer: str | None = None
    finding_policy: FindingPolicy | None = None
    shadow: tuple[str, FindingPolicy | None] | None = None
    observe: Callable[[str, ReviewResult], None] | None = None
