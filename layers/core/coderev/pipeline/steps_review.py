"""The review steps of the analysis state machine: Review, then, for an AI review,
Map(ReviewChunk) and MergeReview.

    Review ─(no chunks)──────────────────────────────→ Finalize
           └(chunks)→ Map(ReviewChunk, MaxConcurrency) → MergeReview → Finalize

Review combines, baseline-marks and sorts the findings and runs the offline reviewer. With
the offline reviewer (the default), or `auto` when no provider is configured, it renders
the reports at once and returns no chunks: the state machine goes straight to Finalize,
with no Map and no more work files than before. For an AI review it plans the chunks
(coderev.review.ai.chunks), writing `review-plan.json` (the offline result, the gate, what is
not sent) and one `review-chunk-<i>.json` per chunk, and returns the Map's items.

ReviewChunk routes one chunk to a model (coderev.review.ai.calls) and writes
`review-chunk-<i>.result.json`: reviewed or failed, with every attempt. MergeReview reads
the plan and every chunk's result (a chunk whose step failed after its retries, caught by
the Map, is recorded failed with the step's error: never dropped), merges the comments
(coderev.review.ai.merge), and renders the reports as Review does otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from coderev.domain.ai_review import NotReviewed
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewContext, ReviewResult
from coderev.pipeline.options import ModelAccess, ReviewArrangement
from coderev.pipeline.run import ReviewedFindings, review_stage, tool_versions
from coderev.pipeline.steps_baseline import read_baseline
from coderev.pipeline.steps_finalize import CONTENT_TYPES, counts
from coderev.pipeline.steps_work import (
    ArchitectureDocument,
    IndexDocument,
    MissingWorkFileError,
    ReviewInputDocument,
    ReviewOutcome,
    ShardInput,
    WorkKeys,
    read_document,
    read_unchanged,
    write_document,
)
from coderev.ports import ObjectStore
from coderev.review.ai.names import OFFLINE, ai_reviewer_name
from coderev.review.reviewer import ReviewInput

if TYPE_CHECKING:
    from coderev.review.ai.chunks import Chunk

__all__ = ["ReviewPlanDocument", "merge_review", "review", "review_chunk"]


@dataclass(frozen=True, slots=True)
class ReviewPlanDocument:
    """What MergeReview needs besides the chunks' results."""

    analysis_id: str
    result: ReviewResult  # with the offline reviewer's review
    gate: GateOutcome | None
    requested: str
    chunks: int
    not_reviewed: tuple[NotReviewed, ...]
    baseline_key: str | None
    planned_at: float  # epoch seconds: the AI review's wall time is measured from here


def review(
    store: ObjectStore,
    analysis_id: str,
    baseline_key: str | None = None,
    *,
    reviewer: str = OFFLINE,
    models: ModelAccess | None = None,
    arrangement: ReviewArrangement | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Combine, baseline-mark and sort the findings, review them, judge them by the request's
    gate; then render the reports (`report.*`, `outcome.json`, which Finalize publishes), or,
    for an AI review, plan its chunks (see the module docstring). `chunks` in the result are
    the Map's items (none: no AI review to run).

    `baseline_key` is the object key of an earlier report.json (BaselineError when it is
    absent or not a valid report); without one, the upload's request may name one.
    `reviewer` is the function's (CODEREV_REVIEWER); the upload's request may name another.
    `arrangement` (coderev.experiments.live): the review configuration in force for this
    analysis (its reviewer unless the request names one, its severity policy), the report's
    context, and where each arm's outcome is recorded (an AI review's at MergeReview).
    `jobs`: the reports are rendered on this process's worker pool of that many (0: one per
    CPU) when it has one running (the local platform's, started for AnalyzeShard); 1, or no
    pool (AWS Lambda), here.
    """
    keys = WorkKeys(analysis_id)
    indexed = read_unchanged(store, keys.index, IndexDocument, analysis_id)
    baseline_key = baseline_key or indexed.baseline_key
    arch = read_document(store, keys.architecture, ArchitectureDocument, analysis_id)
    given = read_document(store, keys.review_input, ReviewInputDocument, analysis_id)
    start = time.perf_counter()
    baseline = read_baseline(store, baseline_key) if baseline_key else None
    arranged = arrangement or ReviewArrangement(context=ReviewContext())
    requested = ai_reviewer_name(indexed.reviewer or arranged.reviewer or reviewer)
    models = models or ModelAccess()
    router = models.router() if requested is not None else None
    plan_ai = requested is not None and router is not None
    reviewed = review_stage(
        indexed.source, given.files, given.findings, arch.architecture, baseline,
        OFFLINE if plan_ai or requested is None else requested,
        models=models, finding_policy=arranged.finding_policy,
    )  # fmt: skip
    timings = {
        "config": indexed.config_seconds,
        "files": given.analysis_seconds,
        "ruff": given.ruff_seconds,
        "architecture": arch.seconds,
    }
    result = replace(_result(indexed, given, arch, reviewed, timings), context=arranged.context)
    gate = _gate(indexed, arch, result)
    chunks: list[Chunk] = []
    if plan_ai and requested is not None:
        from coderev.pipeline.review_work import ChunkDocument
        from coderev.review.ai.reviewer import AIReviewer, merge

        reviewer_ = AIReviewer(requested, router, _shard_sources(store, keys, indexed),
                               _offline(), models.settings)  # fmt: skip
        subject = _subject(indexed.source, reviewed, arch)
        plan = reviewer_.plan(subject)
        chunks = list(plan.chunks)
        if not chunks:  # nothing to send: the record says so, no Map
            review = merge(reviewed.review, subject, requested, [], plan)
            result = replace(result, review=review)
        else:
            ask = reviewer_.settings.ask(requested, indexed.source, len(chunks))
            for chunk in chunks:
                write_document(store, keys.review_chunk(chunk.index),
                               ChunkDocument(analysis_id, chunk, ask))  # fmt: skip
            write_document(store, keys.review_plan, ReviewPlanDocument(
                analysis_id, replace(result, timings=timings | _since(start)), gate, requested,
                len(chunks), plan.not_reviewed, baseline_key, time.time(),
            ))  # fmt: skip
    if not chunks:
        result = replace(result, timings=timings | _since(start))
        _publish(store, keys, result, gate, jobs)
        _observe(arranged, result, lambda policy: review_stage(
            indexed.source, given.files, given.findings, arch.architecture, baseline, OFFLINE,
            models=models, finding_policy=policy,
        ))  # fmt: skip
    published = {} if chunks else {"report_summary": _report_summary(result, gate)}
    return _summary(analysis_id, result, baseline_key, gate) | published | {
        "chunks": [{"analysis_id": analysis_id, "chunk": c.index} for c in chunks]
    }


def review_chunk(
    store: ObjectStore, analysis_id: str, chunk: int, models: ModelAccess
) -> dict[str, Any]:
    """One chunk reviewed by a routed model (or recorded failed), into its result file."""
    from coderev.domain.ai_review import ChunkStatus
    from coderev.pipeline.review_work import ChunkDocument, ChunkResultDocument
    from coderev.review.ai.calls import review_chunk as call_models
    from coderev.review.ai.names import NO_PROVIDER

    keys = WorkKeys(analysis_id)
    document = read_document(store, keys.review_chunk(chunk), ChunkDocument,
                             analysis_id)  # fmt: skip
    router = models.router()
    if router is None:  # the provider was removed since Review planned the chunk
        from coderev.review.ai.calls import failed_outcome

        outcome = failed_outcome(document.chunk, NO_PROVIDER)
    else:
        outcome = call_models(document.chunk, router, document.ask)
    write_document(store, keys.review_chunk_result(chunk),
                   ChunkResultDocument(analysis_id, outcome))  # fmt: skip
    record = outcome.record
    reviewed = record.status is ChunkStatus.REVIEWED
    return {
        "analysis_id": analysis_id,
        "chunk": chunk,
        "status": record.status.value,
        "model": f"{record.provider}:{record.model}" if reviewed else None,
        "comments": len(outcome.drafts),
    }


def merge_review(
    store: ObjectStore,
    analysis_id: str,
    reviewed: Sequence[Mapping[str, Any]] = (),
    observe: Callable[[ReviewResult], None] | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """The chunks' comments merged with the offline review; the reports rendered (on a worker
    pool as Review's are, see `jobs` there).
    `observe(result)`: records the outcome of the arm the analysis is in (its context says).

    `reviewed`: the Map's output, one item per chunk (a ReviewChunk's result, or, for a
    chunk whose step failed after its retries, the Catch's `error` with Error and Cause).
    """
    from coderev.pipeline.review_work import ChunkDocument, ChunkResultDocument
    from coderev.review.ai.calls import ChunkOutcome, failed_outcome
    from coderev.review.ai.merge import merge_review as merge_comments
    from coderev.review.ai.prompt import CURRENT_PROMPT

    keys = WorkKeys(analysis_id)
    plan = read_document(store, keys.review_plan, ReviewPlanDocument, analysis_id)
    errors = {
        int(item["chunk"]): item["error"] for item in reviewed
        if isinstance(item, Mapping) and isinstance(item.get("error"), Mapping)
        and isinstance(item.get("chunk"), int)
    }  # fmt: skip
    outcomes: list[ChunkOutcome] = []
    for index in range(plan.chunks):
        try:
            done = read_document(store, keys.review_chunk_result(index),
                                 ChunkResultDocument, analysis_id)  # fmt: skip
            outcomes.append(done.outcome)
        except MissingWorkFileError:
            error = errors.get(index, {})
            why = f"{error.get('Error', 'the ReviewChunk step did not finish')}"
            if error.get("Cause"):
                why += f": {str(error['Cause'])[:500]}"
            chunk = read_document(store, keys.review_chunk(index), ChunkDocument,
                                  analysis_id).chunk  # fmt: skip
            outcomes.append(failed_outcome(chunk, why))
    result = plan.result
    roles = {f.path: f.role for f in result.files}
    review = merge_comments(result.review, result.findings, roles, plan.requested,
                            CURRENT_PROMPT, outcomes, plan.not_reviewed)  # fmt: skip
    timings = result.timings | {"ai_review": round(time.time() - plan.planned_at, 4)}
    result = replace(result, review=review, timings=timings)
    _publish(store, keys, result, plan.gate, jobs)
    if observe is not None and result.context.arm is not None:
        observe(result)
    return _summary(analysis_id, result, plan.baseline_key, plan.gate) | {
        "ai": {"chunks": plan.chunks, "failed": review.ai.failed if review.ai else 0},
        "report_summary": _report_summary(result, plan.gate),
    }


# --- internals ------------------------------------------------------------------------------


def _offline() -> Any:
    from coderev.review.registry import get_reviewer

    return get_reviewer(OFFLINE)


def _since(start: float) -> dict[str, float]:
    return {"review": round(time.perf_counter() - start, 4)}


def _subject(source: str, reviewed: ReviewedFindings, arch: ArchitectureDocument) -> ReviewInput:
    return ReviewInput(
        source=source, findings=reviewed.findings, files=reviewed.files,
        architecture=arch.architecture, architecture_drift=reviewed.architecture_drift,
        findings_drift=reviewed.findings_drift,
    )  # fmt: skip


def _observe(arranged: ReviewArrangement, result: ReviewResult, again: Any) -> None:
    """Record the served arm's outcome and, when it is cheap (offline arms), the other arm's
    from the Review stage run again under its policy (`again(policy)`)."""
    if arranged.observe is None or arranged.context.arm is None:
        return
    arranged.observe(arranged.context.arm, result)
    if arranged.shadow is not None:
        arm, policy = arranged.shadow
        shadow: ReviewedFindings = again(policy)
        arranged.observe(arm, replace(result, findings=shadow.findings, review=shadow.review))


def _result(
    indexed: IndexDocument, given: ReviewInputDocument, arch: ArchitectureDocument,
    reviewed: ReviewedFindings, timings: dict[str, float],
) -> ReviewResult:  # fmt: skip
    return ReviewResult(
        source=indexed.source,
        files=reviewed.files,
        findings=reviewed.findings,
        skipped=indexed.skipped,
        architecture=arch.architecture,
        review=reviewed.review,
        findings_drift=reviewed.findings_drift,
        architecture_drift=reviewed.architecture_drift,
        tool_versions=tool_versions(),
        timings=timings,
        figures={"shards": float(indexed.shards)},
        gate_roles=indexed.config.gate_roles,
        lint_config=given.lint_config,
    )


def _gate(
    indexed: IndexDocument, arch: ArchitectureDocument, result: ReviewResult
) -> GateOutcome | None:
    from coderev.review.gate import evaluate_gate, parse_gate

    spec = parse_gate(indexed.fail_on)
    if not spec.enabled:
        return None
    unchecked = arch.architecture.contracts_unsupported
    if indexed.allow_unsupported_contracts:
        unchecked = ()
    return evaluate_gate(
        spec, result.findings, unchecked, roles=result.gate_roles,
        contract_warnings=arch.architecture.contract_warnings,
    )  # fmt: skip


def _publish(
    store: ObjectStore, keys: WorkKeys, result: ReviewResult, gate: GateOutcome | None,
    jobs: int,
) -> None:  # fmt: skip
    """The rendered reports and the outcome Finalize publishes."""
    from coderev.reports.writer import FILENAMES, render_each

    submit = None
    if jobs != 1:
        from coderev.pipeline.parallel import running_pool

        submit = running_pool(jobs)
    for fmt, text in render_each(result, tuple(FILENAMES), gate=gate, submit=submit):  # in turn
        store.put(keys.rendered(FILENAMES[fmt]), text.encode("utf-8"),
                  content_type=CONTENT_TYPES[fmt])  # fmt: skip
        del text
    write_document(store, keys.outcome, ReviewOutcome(keys.analysis_id, counts(result)))


def _report_summary(result: ReviewResult, gate: GateOutcome | None) -> dict[str, Any]:
    """The summary of the published report.json that `coderev review` prints (a few KB in the
    state's output: the command need not fetch and parse the whole report to print it)."""
    from coderev.reports.json_format import summary_of_result

    return summary_of_result(result, gate)


def _summary(
    analysis_id: str, result: ReviewResult, baseline_key: str | None, gate: GateOutcome | None
) -> dict[str, Any]:
    return {
        "analysis_id": analysis_id,
        "findings": len(result.findings),
        "comments": len(result.review.comments),
        "baseline": baseline_key,
        "gate": None if gate is None else {"spec": gate.spec, "passed": gate.passed},
    }


def _shard_sources(store: ObjectStore, keys: WorkKeys, indexed: IndexDocument) -> Any:
    """A loader of files' bytes from the shards' inputs (read only for an AI review)."""

    def load(paths: Sequence[str]) -> dict[str, bytes]:
        wanted = set(paths)
        found: dict[str, bytes] = {}
        for shard in range(indexed.shards):
            bundle = read_document(store, keys.shard_input(shard), ShardInput, keys.analysis_id,
                                   compressed=True)  # fmt: skip
            found.update((f.path, f.data) for f in bundle.files if f.path in wanted)
        return found

    return load
