"""Scoring a review against the labelled precision corpus (see README.md beside this file).

Plain data in, figures out: the corpus (findings.csv and comments.csv, labels keyed by
fingerprint) and one report.json dict per project. `bench_precision.py` runs the reviews and
prints what `render` returns; the unit test feeds it small synthetic reports.

Written by hand because it is counting over two CSV files with the standard library; no
scoring library fits a corpus keyed by coderev's own fingerprints.
"""

from __future__ import annotations

import csv
import hashlib
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

FINDING_LABELS = ("useful", "noise", "false-positive")
# a comment can also be right about its finding and still wrong in what it tells the user to do
COMMENT_LABELS = (*FINDING_LABELS, "wrong-advice")
TOP_COMMENTS = 20
CYCLE_RULE = "CR-ARCH-002"

TARGET_TOP_USEFUL = 0.60  # share of the top-20 comments labelled useful, per project
TARGET_FALSE_POSITIVES = 0.05  # share of labelled emitted findings labelled false-positive
TARGET_FALSE_POSITIVE_CYCLES = 0


class CorpusError(ValueError):
    """The corpus files are malformed: an unknown label, a duplicate key, a missing column."""


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    requirement: str  # pip requirement with an exact pin, e.g. "django==5.1.4"
    style: str


@dataclass(frozen=True, slots=True)
class FindingLabel:
    project: str
    fingerprint: str
    rule_id: str
    category: str
    path: str
    line: int
    role: str  # the labeller's view of the file's role, independent of coderev's
    label: str
    reason: str
    labelled_on: str  # the commit whose output was labelled: a batch of labels


@dataclass(frozen=True, slots=True)
class CommentLabel:
    """A label on the text a user reads: keyed by the lead fingerprint and a hash of the text,
    so a comment whose wording changed is shown as needing a new label, not scored stale."""

    project: str
    fingerprint: str
    text_sha: str
    rank: int
    path: str
    line: int
    title: str
    label: str
    reason: str
    labelled_on: str


FINDING_COLUMNS = tuple(f.name for f in fields(FindingLabel))  # findings.csv's header
COMMENT_COLUMNS = tuple(f.name for f in fields(CommentLabel))  # comments.csv's header


@dataclass(frozen=True, slots=True)
class Corpus:
    findings: Mapping[tuple[str, str], FindingLabel]  # (project, fingerprint)
    comments: Mapping[tuple[str, str, str], CommentLabel]  # (project, fingerprint, text_sha)

    @property
    def batches(self) -> tuple[str, ...]:
        """The labelling batches, oldest first: the files only ever have rows appended."""
        labels = [*self.comments.values(), *self.findings.values()]
        return tuple(dict.fromkeys(label.labelled_on for label in labels))

    def project_findings(self, project: str) -> list[FindingLabel]:
        return [f for (p, _), f in self.findings.items() if p == project]


@dataclass(frozen=True, slots=True)
class EmittedFinding:
    fingerprint: str
    rule_id: str
    category: str
    role: str  # as coderev reports it
    path: str
    line: int


@dataclass(frozen=True, slots=True)
class EmittedComment:
    rank: int  # 1-based position in the review
    fingerprints: tuple[str, ...]
    text_sha: str
    path: str
    line: int
    title: str
    text: str  # title, why and suggestion, for whoever labels it

    @property
    def lead(self) -> str:
        return self.fingerprints[0] if self.fingerprints else ""


@dataclass(frozen=True, slots=True)
class Tally:
    """How many of some findings or comments carry each label."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: Iterable[str]) -> Tally:
        return cls(dict(Counter(labels)))

    def __add__(self, other: Tally) -> Tally:
        return Tally(dict(Counter(self.counts) + Counter(other.counts)))

    def __getitem__(self, label: str) -> int:
        return self.counts.get(label, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, label: str) -> float | None:
        return self[label] / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class ProjectScore:
    project: str
    emitted: int  # findings in the report
    findings: Tally  # labels of the emitted findings that are in the corpus
    by_category: Mapping[str, Tally]
    by_role: Mapping[str, Tally]  # coderev's role of the finding
    by_labelled_role: Mapping[str, Tally]  # the labeller's role of the file
    by_batch: Mapping[str, Tally]  # by the commit the label was made on, oldest first
    false_positive_cycles: tuple[FindingLabel, ...]  # emitted CR-ARCH-002 labelled false-positive
    gone: Tally  # labels of corpus findings no longer emitted
    gone_useful: tuple[FindingLabel, ...]  # useful findings no longer emitted: a regression
    comments: Tally  # labels of the top-20 comments that are in the corpus
    unlabelled_comments: tuple[EmittedComment, ...]  # top-20 comments with no label for their text
    changed_comments: int  # of those, how many have a label for an earlier wording
    unlabelled_top_findings: tuple[str, ...]  # fingerprints behind the top-20 comments, unlabelled


def load_projects(path: Path) -> list[Project]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Project(p["name"], p["requirement"], p.get("style", "")) for p in data["project"]]


def load_corpus(directory: Path) -> Corpus:
    findings: dict[tuple[str, str], FindingLabel] = {}
    for row in _rows(directory / "findings.csv", FINDING_COLUMNS):
        label = FindingLabel(**{**row, "line": int(row["line"])})
        _check_label(label.label, FINDING_LABELS, directory / "findings.csv", label.fingerprint)
        key = (label.project, label.fingerprint)
        if key in findings:
            raise CorpusError(f"findings.csv: {label.fingerprint} ({label.project}) labelled twice")
        findings[key] = label
    comments: dict[tuple[str, str, str], CommentLabel] = {}
    for row in _rows(directory / "comments.csv", COMMENT_COLUMNS):
        comment = CommentLabel(**{**row, "rank": int(row["rank"]), "line": int(row["line"])})
        _check_label(comment.label, COMMENT_LABELS, directory / "comments.csv", comment.fingerprint)
        ckey = (comment.project, comment.fingerprint, comment.text_sha)
        if ckey in comments:
            raise CorpusError(
                f"comments.csv: {comment.fingerprint} ({comment.project}) "
                f"labelled twice for the same text"
            )
        comments[ckey] = comment
    return Corpus(findings, comments)


def _rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if missing := [c for c in columns if c not in (reader.fieldnames or ())]:
            raise CorpusError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return [{c: row[c] for c in columns} for row in reader]


def _check_label(label: str, allowed: Sequence[str], path: Path, key: str) -> None:
    if label not in allowed:
        raise CorpusError(f"{path.name}: {key} has label {label!r}; expected one of {allowed}")


def comment_text_sha(title: str, why: str, suggestion: str) -> str:
    return hashlib.sha256(f"{title}\n{why}\n{suggestion}".encode()).hexdigest()[:12]


def emitted_findings(report: Mapping[str, Any]) -> list[EmittedFinding]:
    return [
        EmittedFinding(
            f["fingerprint"],
            f["rule_id"],
            f["category"],
            f.get("role", "source"),
            f["path"],
            int(f["line"]),
        )
        for f in report.get("findings", [])
    ]


def top_comments(report: Mapping[str, Any], n: int = TOP_COMMENTS) -> list[EmittedComment]:
    out = []
    for rank, c in enumerate(report.get("review", {}).get("comments", [])[:n], start=1):
        title, why, suggestion = c.get("title", ""), c.get("why", ""), c.get("suggestion", "")
        out.append(
            EmittedComment(
                rank,
                tuple(c.get("fingerprints", ())),
                comment_text_sha(title, why, suggestion),
                c.get("path", ""),
                int(c.get("line", 0)),
                title,
                f"{title}\n{why}\n{suggestion}",
            )
        )
    return out


def score_project(project: str, report: Mapping[str, Any], corpus: Corpus) -> ProjectScore:
    """Match one project's report to the corpus by fingerprint and count the labels."""
    emitted = emitted_findings(report)
    emitted_fps = {f.fingerprint for f in emitted}
    matched = [
        (f, corpus.findings[(project, f.fingerprint)])
        for f in emitted
        if (project, f.fingerprint) in corpus.findings
    ]
    by_category: dict[str, list[str]] = {}
    by_role: dict[str, list[str]] = {}
    by_labelled_role: dict[str, list[str]] = {}
    by_batch: dict[str, list[str]] = {}
    for f, label in matched:
        by_category.setdefault(f.category, []).append(label.label)
        by_role.setdefault(f.role, []).append(label.label)
        by_labelled_role.setdefault(label.role, []).append(label.label)
        by_batch.setdefault(label.labelled_on, []).append(label.label)
    gone = [lab for lab in corpus.project_findings(project) if lab.fingerprint not in emitted_fps]

    comments = top_comments(report)
    labelled, unlabelled, changed = [], [], 0
    leads_labelled = {fp for (p, fp, _) in corpus.comments if p == project}
    for c in comments:
        key = (project, c.lead, c.text_sha)
        if key in corpus.comments:
            labelled.append(corpus.comments[key].label)
        else:
            unlabelled.append(c)
            changed += c.lead in leads_labelled
    behind = dict.fromkeys(fp for c in comments for fp in c.fingerprints)
    return ProjectScore(
        project=project,
        emitted=len(emitted),
        findings=Tally.of(label.label for _, label in matched),
        by_category={k: Tally.of(v) for k, v in sorted(by_category.items())},
        by_role={k: Tally.of(v) for k, v in sorted(by_role.items())},
        by_labelled_role={k: Tally.of(v) for k, v in sorted(by_labelled_role.items())},
        by_batch={k: Tally.of(by_batch.get(k, ())) for k in corpus.batches},
        false_positive_cycles=tuple(
            label
            for f, label in matched
            if f.rule_id == CYCLE_RULE and label.label == "false-positive"
        ),
        gone=Tally.of(lab.label for lab in gone),
        gone_useful=tuple(lab for lab in gone if lab.label == "useful"),
        comments=Tally.of(labelled),
        unlabelled_comments=tuple(unlabelled),
        changed_comments=changed,
        unlabelled_top_findings=tuple(fp for fp in behind if (project, fp) not in corpus.findings),
    )


def merge(tallies: Iterable[Mapping[str, Tally]], ordered: bool = True) -> dict[str, Tally]:
    out: dict[str, Tally] = {}
    for t in tallies:
        for key, tally in t.items():
            out[key] = out.get(key, Tally()) + tally
    return dict(sorted(out.items())) if ordered else out


def total(scores: Sequence[ProjectScore], attr: str) -> Tally:
    out = Tally()
    for s in scores:
        out = out + getattr(s, attr)
    return out


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{100 * x:4.0f}%"


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


_FINDINGS_HEAD = f"  {'':<16} {'lab.':>5}  {'useful':>6} {'noise':>6} {'FP':>6}   prec.   FP %"
_COMMENTS_HEAD = (
    f"  {'':<16} {'lab.':>5}  {'useful':>6} {'noise':>6} {'FP':>6} {'advice':>6}   useful"
    "   unlabelled"
)


def _tally_line(name: str, t: Tally) -> str:
    return (
        f"  {name:<16} {t.total:5}  {t['useful']:6} {t['noise']:6} {t['false-positive']:6}"
        f"   {_pct(t.share('useful'))}   {_pct(t.share('false-positive'))}"
    )


def _comments_line(name: str, c: Tally) -> str:
    return (
        f"  {name:<16} {c.total:5}  {c['useful']:6} {c['noise']:6} {c['false-positive']:6}"
        f" {c['wrong-advice']:6}   {_pct(c.share('useful'))}"
    )


def _findings_section(scores: Sequence[ProjectScore]) -> list[str]:
    lines = ["precision of emitted findings that are in the corpus (prec. = useful share)"]
    lines.append(_FINDINGS_HEAD)
    lines += [_tally_line(s.project, s.findings) + f"   of {s.emitted} emitted" for s in scores]
    lines.append(_tally_line("all projects", total(scores, "findings")))
    for title, attr in (
        ("by category", "by_category"),
        ("by role (coderev's role of the finding)", "by_role"),
        ("by role (the labeller's role of the file)", "by_labelled_role"),
        ("by labelling batch, oldest first (the commit whose output was labelled)", "by_batch"),
    ):
        merged = merge((getattr(s, attr) for s in scores), ordered=attr != "by_batch")
        lines += [title, *(_tally_line(k, t) for k, t in merged.items())]
    return lines


def _comments_section(scores: Sequence[ProjectScore]) -> list[str]:
    lines = [f"top-{TOP_COMMENTS} review comments per project (labelled as the text a user reads)"]
    lines.append(_COMMENTS_HEAD)
    for s in scores:
        changed = f" ({s.changed_comments} reworded)" if s.changed_comments else ""
        unlabelled = f"   {len(s.unlabelled_comments)}{changed}"
        lines.append(_comments_line(s.project, s.comments) + unlabelled)
    lines.append(_comments_line("all projects", total(scores, "comments")))
    return lines


def _changes_section(scores: Sequence[ProjectScore]) -> list[str]:
    gone = total(scores, "gone")
    lost = [g for s in scores for g in s.gone_useful]
    cycles = [c for s in scores for c in s.false_positive_cycles]
    lines = [
        "no longer emitted since labelled (a fix removed them): "
        f"{gone['noise']} noise, {gone['false-positive']} false-positive, {gone['useful']} useful"
        + (" <- REGRESSION" if lost else "")
    ]
    lines += [
        f"  lost useful: {g.project} {g.path}:{g.line} {g.rule_id} ({g.reason})" for g in lost
    ]
    lines.append(f"false-positive cycles still emitted: {len(cycles)}")
    lines += [f"  {c.project} {c.path}:{c.line} ({c.reason})" for c in cycles]
    return lines


def _targets_section(scores: Sequence[ProjectScore]) -> list[str]:
    findings = total(scores, "findings")
    emitted = sum(s.emitted for s in scores)
    top_findings = sum(len(s.unlabelled_top_findings) for s in scores)
    top_comments = sum(len(s.unlabelled_comments) for s in scores)
    shares = [share for s in scores if (share := s.comments.share("useful")) is not None]
    worst = min(shares, default=None)  # over the projects with labelled top comments
    fp_share = findings.share("false-positive") or 0.0
    fp_cycles = sum(len(s.false_positive_cycles) for s in scores)
    return [
        f"coverage: {findings.total} of {emitted} emitted findings are labelled; "
        f"{top_findings} findings behind the top-{TOP_COMMENTS} comments and {top_comments} "
        f"top-{TOP_COMMENTS} comments are not",
        "targets",
        f"  top-{TOP_COMMENTS} comments useful >= {TARGET_TOP_USEFUL:.0%} in every project: "
        f"worst {_pct(worst).strip()}  {_met(worst is not None and worst >= TARGET_TOP_USEFUL)}",
        f"  false positives <= {TARGET_FALSE_POSITIVES:.0%} overall: {_pct(fp_share).strip()}"
        f"  {_met(fp_share <= TARGET_FALSE_POSITIVES)}",
        f"  false-positive cycles = {TARGET_FALSE_POSITIVE_CYCLES}: {fp_cycles}"
        f"  {_met(fp_cycles <= TARGET_FALSE_POSITIVE_CYCLES)}",
    ]


def render(scores: Sequence[ProjectScore]) -> str:
    """The benchmark's printout: figures beside their targets, then what is not labelled."""
    sections = (_findings_section, _comments_section, _changes_section, _targets_section)
    return "\n\n".join("\n".join(section(scores)) for section in sections)
