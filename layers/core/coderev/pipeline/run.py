"""The review use case: a source tree in, a ReviewResult out.

Stages: configuration → per-file analysis (all cores) alongside ruff → architecture →
baseline → review. Each stage is a plain function of domain objects, so the analysis state
machine can run the same stages as separate tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace

from coderev import __version__
from coderev.analysis.collector import collector_paused
from coderev.analysis.roles import RoleClassifier, findings_with_roles
from coderev.analysis.ruff_process import ruff_version
from coderev.analysis.ruff_project import RuffRun, lint_python
from coderev.analysis.skipping import exclude_from_tree
from coderev.architecture.analyze import analyze_architecture, cycle_findings, violation_findings
from coderev.architecture.config import load_project_config
from coderev.architecture.drift import architecture_drift
from coderev.architecture.graph_rules import check_graph_rules
from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.domain.findings import Finding
from coderev.domain.metrics import SourceFileInfo
from coderev.domain.report import FindingsDrift, ReviewResult
from coderev.domain.review import Review
from coderev.domain.roles import RoleGlobs
from coderev.domain.source import SourceTree
from coderev.pipeline.graph_writes import write_code_graph
from coderev.pipeline.options import BaselineInput, ModelAccess, ReviewOptions
from coderev.pipeline.parallel import analyze_files
from coderev.pipeline.progress import ProgressSink, SilentProgress
from coderev.ports import GraphScope, GraphStore
from coderev.review.ai.names import OFFLINE, ai_reviewer_name
from coderev.review.baseline import mark_findings
from coderev.review.ranking import sort_findings
from coderev.review.registry import get_reviewer
from coderev.review.reviewer import Reviewer, ReviewInput
from coderev.rules.policy import apply_policy

SourceLoader = Callable[[Sequence[str]], Mapping[str, bytes]]  # paths -> their bytes


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 4)


def project_config(tree: SourceTree, options: ReviewOptions) -> ProjectConfig:
    if options.config is not None:
        return options.config
    return load_project_config({f.path: f.data for f in tree.config_files})


def ruff_stage(tree: SourceTree, options: ReviewOptions, config: ProjectConfig) -> RuffRun:
    """ruff over the Python files, with the configuration `options.lint_config` names (see
    coderev.analysis.ruff_project)."""
    return lint_python(
        {f.path: f.data for f in tree.python_files()},
        {f.path: f.data for f in tree.toml_files},
        options.lint_config,
        config.ruff_select,
        options.source_root,
    )


def combine_findings(
    analyses: Sequence[FileAnalysis], ruff: Sequence[Finding], architecture: Sequence[Finding]
) -> list[Finding]:
    """All findings, once each. ruff's own syntax errors repeat coderev's parse findings."""
    unparsable = {a.path for a in analyses if a.error is not None}
    findings: list[Finding] = [f for a in analyses for f in a.findings]
    findings.extend(f for f in ruff if not (f.path in unparsable and _is_syntax_error(f)))
    findings.extend(architecture)
    seen: set[str] = set()
    unique = []
    for f in findings:
        if f.fingerprint not in seen:
            seen.add(f.fingerprint)
            unique.append(f)
    return unique


def _import_architecture_libraries() -> None:
    """Import what the architecture stage imports on first use (networkx: about 0.3 s) while
    the workers analyse the files, not after them when this process works alone."""
    import importlib

    with suppress(ImportError):
        importlib.import_module("networkx")


def _is_syntax_error(f: Finding) -> bool:
    return f.rule_id.startswith("E9") or "syntax" in f.rule_id.lower()


def run_review(
    tree: SourceTree,
    options: ReviewOptions | None = None,
    progress: ProgressSink | None = None,
    graph_store: GraphStore | None = None,
    graph_id: str = "latest",
) -> ReviewResult:
    options = options or ReviewOptions()
    progress = progress or SilentProgress()
    timings: dict[str, float] = {}
    figures: dict[str, float] = {}
    with _timed(timings, "config"):
        config = project_config(tree, options)
        tree = exclude_from_tree(tree, config.exclude)

    python = tree.python_files()
    progress.stage("Analysing files", total=len(python))
    with _timed(timings, "files"), ThreadPoolExecutor(max_workers=2) as side:
        ruff_future = side.submit(_timed_call, timings, "ruff", ruff_stage, tree, options, config)
        side.submit(_import_architecture_libraries)
        analyses = analyze_files(
            python, config.thresholds, options.file_budget_seconds, options.jobs, progress, figures
        )
        ruff = ruff_future.result()

    progress.stage("Architecture")
    with _timed(timings, "architecture"), collector_paused():
        architecture, arch_findings = architecture_stage(
            analyses, config, graph_store, graph_id, GraphScope(tree.name), jobs=options.jobs
        )

    progress.stage("Review")
    with _timed(timings, "review"):
        reviewed = review_stage(
            tree.name,
            file_infos(listed_files(tree, config), analyses, config.roles),
            combine_findings(analyses, ruff.findings, arch_findings),
            architecture,
            options.baseline,
            options.reviewer,
            models=options.models,
            sources=_tree_sources(tree),
            finding_policy=options.finding_policy,
        )
    return ReviewResult(
        source=tree.name,
        files=reviewed.files,
        findings=reviewed.findings,
        skipped=tree.skipped,
        architecture=architecture,
        review=reviewed.review,
        findings_drift=reviewed.findings_drift,
        architecture_drift=reviewed.architecture_drift,
        tool_versions=tool_versions(options.extra_tool_versions),
        timings=timings,
        figures=figures,
        gate_roles=config.gate_roles,
        lint_config=ruff.configuration,
    )


def architecture_stage(
    analyses: Sequence[FileAnalysis],
    config: ProjectConfig,
    graph_store: GraphStore | None = None,
    graph_id: str = "latest",
    scope: GraphScope | None = None,
    *,
    jobs: int = 1,
) -> tuple[ArchitectureResult, list[Finding]]:
    """The architecture of the analysed files (in path order), and its findings. The code
    graph goes to `graph_store` under `graph_id` (when given; built and written in a worker of
    the shared pool of `jobs` when the store writes in the background, see
    coderev.pipeline.graph_writes), then the project's Cypher rules run on it
    (coderev.architecture.graph_rules)."""
    architecture = analyze_architecture(analyses, config)
    if graph_store is not None:
        write_code_graph(graph_store, graph_id, analyses, architecture, scope, jobs=jobs)
    architecture = check_graph_rules(architecture, config.graph_rules, graph_store, graph_id)
    return architecture, [*violation_findings(architecture), *cycle_findings(architecture)]


@dataclass(frozen=True, slots=True)
class ReviewedFindings:
    findings: tuple[Finding, ...]  # sorted, marked new/existing when there is a baseline
    files: tuple[SourceFileInfo, ...]
    review: Review
    findings_drift: FindingsDrift | None
    architecture_drift: ArchitectureDrift | None


def review_stage(
    source: str,
    files: tuple[SourceFileInfo, ...],
    combined: Sequence[Finding],
    architecture: ArchitectureResult,
    baseline: BaselineInput | None,
    reviewer_name: str,
    *,
    models: ModelAccess | None = None,
    sources: SourceLoader | None = None,
    finding_policy: Callable[[Sequence[Finding]], list[Finding]] | None = None,
) -> ReviewedFindings:
    """The combined findings (see combine_findings) under the severity policy, baseline-marked
    and sorted, then reviewed.

    Each finding takes its file's role first (`files` are the tree's files with the analyses'
    metrics and their roles, see file_infos); then the severity policy (coderev.rules.policy)
    is applied, here and only here: the direct engine and the platform's Review step both come
    through here. Findings of rules meaningless in their file's role are left out.
    `finding_policy` (a review configuration's severity policy) then has the last word.

    An AI reviewer's name ("auto", "openai:MODEL", ...) reviews with the models `models`
    reaches, reading the files' text through `sources` (coderev.review.ai.reviewer); any
    other name is a registered reviewer (coderev.review.registry).
    """
    findings = apply_policy(findings_with_roles(combined, files))
    if finding_policy is not None:
        findings = finding_policy(findings)
    findings_drift = arch_drift = None
    if baseline is not None:
        findings, findings_drift = mark_findings(findings, baseline.fingerprints)
        arch_drift = architecture_drift(baseline.architecture, architecture)
    ordered = tuple(sort_findings(findings))
    subject = ReviewInput(
        source=source,
        findings=ordered,
        files=files,
        architecture=architecture,
        architecture_drift=arch_drift,
        findings_drift=findings_drift,
    )
    reviewer = get_reviewer(reviewer_name) if ai_reviewer_name(reviewer_name) is None else (
        _ai_reviewer(reviewer_name, models or ModelAccess(), sources)
    )  # fmt: skip
    return ReviewedFindings(ordered, files, reviewer.review(subject), findings_drift, arch_drift)


def _ai_reviewer(name: str, models: ModelAccess, sources: SourceLoader | None) -> Reviewer:
    from coderev.review.ai.reviewer import AIReviewer

    def nothing(paths: Sequence[str]) -> Mapping[str, bytes]:
        return {}

    return AIReviewer(name, models.router(), sources or nothing, get_reviewer(OFFLINE),
                      models.settings)  # fmt: skip


def _tree_sources(tree: SourceTree) -> SourceLoader:
    def load(paths: Sequence[str]) -> Mapping[str, bytes]:
        wanted = set(paths)
        return {f.path: f.data for f in tree.files if f.path in wanted}

    return load


def tool_versions(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The versions a report names: coderev's and ruff's, then any extra ones."""
    return {"coderev": __version__, "ruff": ruff_version(), **(extra or {})}


def _timed_call[T](timings: dict[str, float], name: str, fn: Callable[..., T], *args: object) -> T:
    with _timed(timings, name):
        return fn(*args)


def listed_files(tree: SourceTree, config: ProjectConfig) -> tuple[SourceFileInfo, ...]:
    """Every file of the tree as the report lists it, before analysis: no metrics yet, the role
    its path, its first lines and the configuration give (see coderev.analysis.roles)."""
    roles = RoleClassifier((f.path for f in tree.files), config.roles)
    return tuple(
        SourceFileInfo(f.path, f.language, len(f.data), None, roles.classify_file(f))
        for f in tree.files
    )


def file_infos(
    files: Iterable[SourceFileInfo],
    analyses: Sequence[FileAnalysis],
    configured_roles: Sequence[RoleGlobs] = (),
) -> tuple[SourceFileInfo, ...]:
    """The files as the report lists them, in path order, with the metrics their analysis found
    and, for a source file whose parse found tests, the test role (unless configured)."""
    by_path = {a.path: a for a in analyses}
    infos = []
    for f in files:
        a = by_path.get(f.path)
        infos.append(replace(f, metrics=a.metrics if a else None))
    marked = RoleClassifier((), configured_roles).with_markers(infos, analyses)
    return tuple(sorted(marked, key=lambda i: i.path))
