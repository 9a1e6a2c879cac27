"""The offline reviewer's comments and the models' comments, merged into one review.

The offline reviewer's comments stay as they are (its catalogue texts, ranking and caps).
Each model comment that survived its chunk's checks (coderev.review.ai.replies) is then:

- merged (`merged_with_static`) when it is about a static finding the offline reviewer has a
  comment on: the same file, within a line, and the same category or naming the rule. The
  offline comment keeps its text and records that the model flagged it too (its `reviewer`
  becomes "offline+<model>");
- kept, carrying the finding's fingerprint, when it is about a static finding below the
  offline reviewer's posting bar: the model's reading raised it;
- dropped as a `duplicate` of a model comment already kept (same file, line and category);
- kept otherwise, ranked with the other model comments (severity, confidence, category) and
  capped like the offline reviewer's (`capped` counts what the caps left out).

Every outcome is counted in the review's AIReviewRecord, beside the chunks' drop reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

from coderev.domain.ai_review import AIReviewRecord, ChunkStatus, NotReviewed, ReviewMode
from coderev.domain.findings import Finding
from coderev.domain.review import OFFLINE, Review, ReviewComment
from coderev.domain.roles import FileRole
from coderev.review.ai.calls import ChunkOutcome
from coderev.review.ai.replies import Draft
from coderev.review.ranking import CATEGORY_WEIGHT, cap_comments, product_first

__all__ = ["MAX_AI_COMMENTS", "MAX_AI_PER_FILE", "merge_review", "offline_instead"]

MAX_AI_COMMENTS = 25
MAX_AI_PER_FILE = 5
TITLE_CHARS = 140


def merge_review(
    offline: Review,
    findings: Sequence[Finding],
    roles: dict[str, FileRole],
    requested: str,
    prompt_version: str,
    outcomes: Sequence[ChunkOutcome],
    not_reviewed: Sequence[NotReviewed],
) -> Review:
    """One review: the offline comments (some merged with a model's), then the models'."""
    counts: Counter[str] = Counter()
    for o in outcomes:
        counts.update(o.dropped)
    comments = list(offline.comments)
    posted = {fp: i for i, c in enumerate(comments) for fp in c.fingerprints}
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    seen: set[tuple[str, int, str]] = set()
    added: list[ReviewComment] = []
    for draft in (d for o in sorted(outcomes, key=lambda o: o.record.chunk) for d in o.drafts):
        match = _static_match(draft, by_path.get(draft.path, ()))
        if match is not None and match.fingerprint in posted:
            i = posted[match.fingerprint]
            comments[i] = replace(comments[i], reviewer=_joined(comments[i].reviewer, draft))
            counts["merged_with_static"] += 1
            continue
        key = (draft.path, draft.line, draft.category.value)
        if key in seen:
            counts["duplicate"] += 1
            continue
        seen.add(key)
        added.append(_comment(draft, match, roles.get(draft.path, FileRole.SOURCE)))
    ranked = sorted(added, key=_rank)
    kept, capped = cap_comments(ranked, MAX_AI_PER_FILE, MAX_AI_COMMENTS)
    counts["kept"] += len(kept)
    if capped:
        counts["capped"] += capped
    records = tuple(sorted((o.record for o in outcomes), key=lambda r: r.chunk))
    record = AIReviewRecord(
        requested=requested, mode=ReviewMode.AI, prompt_version=prompt_version,
        chunks=records, not_reviewed=tuple(not_reviewed), outcomes=dict(sorted(counts.items())),
    )  # fmt: skip
    models = record.models
    return Review(
        reviewer="+".join((OFFLINE, *models)),
        summary=offline.summary.rstrip("\n") + "\n\n" + ai_summary(record) + "\n",
        comments=(*comments, *kept),
        truncated=offline.truncated,
        ai=record,
    )


def offline_instead(offline: Review, requested: str, note: str) -> Review:
    """The offline review, saying an AI review was asked for and why it did not run."""
    record = AIReviewRecord(requested=requested, mode=ReviewMode.OFFLINE, note=note)
    return replace(
        offline,
        summary=offline.summary.rstrip("\n") + "\n\n" + ai_summary(record) + "\n",
        ai=record,
    )


def ai_summary(record: AIReviewRecord) -> str:
    """The review summary's "AI review" section: who reviewed what, at what cost."""
    head = "### AI review\n"
    if record.mode is ReviewMode.OFFLINE:
        return head + (
            f"An AI review was asked for (`{record.requested}`), but {record.note}: the offline "
            "reviewer wrote every comment."
        )
    reviewed = [c for c in record.chunks if c.status is ChunkStatus.REVIEWED]
    by_model = Counter(f"{c.provider}:{c.model}" for c in reviewed)
    files = len({p for c in reviewed for p in c.paths})
    lines = [
        f"Asked for `{record.requested}` (prompt {record.prompt_version}): "
        f"{_n(len(reviewed), 'chunk')} ({_n(files, 'file')}) reviewed"
        + (" by " + ", ".join(f"`{m}` ({n})" for m, n in by_model.items()) if by_model else "")
        + "."
    ]
    if record.failed:
        failed = [c for c in record.chunks if c.status is ChunkStatus.FAILED]
        lines.append(
            f"**{_n(len(failed), 'chunk')} failed** after every fallback "
            f"({'; '.join(f'chunk {c.chunk}: {c.error}' for c in failed[:3])}"
            + (" …" if len(failed) > 3 else "")
            + "); their files kept the offline review only."
        )
    outcomes = record.outcomes
    dropped = {k: v for k, v in outcomes.items() if k not in ("kept", "merged_with_static")}
    lines.append(
        f"Model comments: {outcomes.get('kept', 0)} kept, "
        f"{outcomes.get('merged_with_static', 0)} merged into the offline reviewer's"
        + (
            ", dropped: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in dropped.items())
            if dropped else ""
        )
        + "."
    )  # fmt: skip
    lines.append(
        f"Tokens: {record.input_tokens:,} in, {record.output_tokens:,} out; cost "
        f"${record.cost_usd:.4f}; model time {record.latency_ms / 1000:.1f} s."
    )
    if record.not_reviewed:
        lines.append(
            f"Not sent to a model: {_n(len(record.not_reviewed), 'file')} "
            "(listed with their reasons in the report)."
        )
    return head + "\n".join(f"- {line}" for line in lines)


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _joined(reviewer: str, draft: Draft) -> str:
    names = reviewer.split("+")
    return reviewer if draft.reviewer in names else f"{reviewer}+{draft.reviewer}"


def _static_match(draft: Draft, findings: Iterable[Finding]) -> Finding | None:
    """The static finding `draft` repeats: same file, within a line, same category or rule."""
    near = [f for f in findings if abs(f.line - draft.line) <= 1]
    for f in sorted(near, key=lambda f: (abs(f.line - draft.line), -f.severity.rank)):
        if f.category is draft.category or f.rule_id in draft.message:
            return f
    return None


def _comment(draft: Draft, match: Finding | None, role: FileRole) -> ReviewComment:
    title = draft.message.partition(". ")[0].rstrip(".")
    if len(title) > TITLE_CHARS:
        title = title[: TITLE_CHARS - 1].rstrip() + "…"
    return ReviewComment(
        path=draft.path, line=draft.line, severity=draft.severity, category=draft.category,
        title=title, why=draft.message, suggestion=draft.suggestion,
        fingerprints=(match.fingerprint,) if match is not None else (), role=role,
        reviewer=draft.reviewer, confidence=round(draft.confidence, 3),
    )  # fmt: skip


def _rank(c: ReviewComment) -> tuple[int, int, float, int, str, int]:
    return (product_first(c.role), -c.severity.rank, -(c.confidence or 0.0),
            -CATEGORY_WEIGHT[c.category], c.path, c.line)  # fmt: skip
