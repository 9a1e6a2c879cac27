"""Offline evaluation: two review configurations replayed on the labelled precision corpus
(benchmarks/precision: findings.csv and comments.csv, labels useful / noise / false-positive
keyed by fingerprint), as paired observations for `compare`.

The task (the unit of pairing and of resampling) is a file of a corpus project: labels within
a file are not independent, and both configurations review the same files. Per file and arm:
- precision: useful / labelled among the emitted findings (ratio, higher is better);
- false_positive_share: false-positive / labelled among them (lower is better);
- useful_kept: useful emitted / useful in the corpus for that file (a fix that drops a useful
  finding is a regression; higher is better);
- comment_precision: useful / labelled among the top-N review comments, keyed by lead
  fingerprint and text hash as the corpus is (higher is better);
- unlabelled_share: emitted findings with no label / emitted (lower is better: what the
  figures above do not stand on).
Reading the two CSV files is the standard library's csv; the benchmark's own scorer lives
outside the package (benchmarks/precision), so the few lines of reading are repeated here.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coderev.comparison.catalogue import KNOWN_METRICS, MetricSpec
from coderev.comparison.errors import InvalidComparisonRequestError
from coderev.comparison.metrics import PairedMetric

__all__ = ["OFFLINE_METRICS", "CorpusLabels", "OfflineReplay", "load_labels", "replay"]

OFFLINE_METRICS: dict[str, MetricSpec] = {
    "precision": KNOWN_METRICS["precision"],
    "false_positive_share": MetricSpec("false_positive_share", "ratio", higher_is_better=False),
    "useful_kept": MetricSpec("useful_kept", "ratio", higher_is_better=True),
    "comment_precision": MetricSpec("comment_precision", "ratio", higher_is_better=True),
    "unlabelled_share": MetricSpec("unlabelled_share", "ratio", higher_is_better=False),
}
_LABELS = frozenset({"useful", "noise", "false-positive", "wrong-advice"})


@dataclass(frozen=True, slots=True)
class CorpusLabels:
    findings: Mapping[tuple[str, str], tuple[str, str]]  # (project, fingerprint) -> (path, label)
    comments: Mapping[tuple[str, str, str], str]  # (project, lead fingerprint, text_sha) -> label


@dataclass(frozen=True, slots=True)
class OfflineReplay:
    tasks: tuple[str, ...]  # "project:path", the order of the arrays
    metrics: dict[str, PairedMetric]


def load_labels(directory: Path) -> CorpusLabels:
    findings: dict[tuple[str, str], tuple[str, str]] = {}
    for row in _rows(directory / "findings.csv", ("project", "fingerprint", "path", "label")):
        findings[(row["project"], row["fingerprint"])] = (row["path"], row["label"])
    comments: dict[tuple[str, str, str], str] = {}
    for row in _rows(directory / "comments.csv", ("project", "fingerprint", "text_sha", "label")):
        comments[(row["project"], row["fingerprint"], row["text_sha"])] = row["label"]
    return CorpusLabels(findings, comments)


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if missing := [c for c in columns if c not in (reader.fieldnames or ())]:
            raise InvalidComparisonRequestError(f"{path.name}: missing column(s) {missing}")
        rows = list(reader)
    if bad := {r["label"] for r in rows} - _LABELS:
        raise InvalidComparisonRequestError(f"{path.name}: unknown label(s) {sorted(bad)}")
    return rows


def _text_sha(comment: Mapping[str, Any]) -> str:
    text = f"{comment.get('title', '')}\n{comment.get('why', '')}\n{comment.get('suggestion', '')}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _counts(
    project: str, report: Mapping[str, Any], labels: CorpusLabels, top: int
) -> dict[str, dict[str, list[float]]]:
    """Per file: [numerator, denominator] of every offline metric for one arm's report."""
    per_file: dict[str, dict[str, list[float]]] = {}

    def cell(path: str, metric: str) -> list[float]:
        return per_file.setdefault(path, {m: [0.0, 0.0] for m in OFFLINE_METRICS})[metric]

    emitted = set()
    for f in report.get("findings", []):
        emitted.add(f["fingerprint"])
        labelled = labels.findings.get((project, f["fingerprint"]))
        cell(f["path"], "unlabelled_share")[1] += 1
        if labelled is None:
            cell(f["path"], "unlabelled_share")[0] += 1
            continue
        for metric, hit in (("precision", "useful"), ("false_positive_share", "false-positive")):
            c = cell(f["path"], metric)
            c[0] += labelled[1] == hit
            c[1] += 1
    for (p, fingerprint), (path, label) in labels.findings.items():
        if p == project and label == "useful":
            c = cell(path, "useful_kept")
            c[0] += fingerprint in emitted
            c[1] += 1
    for comment in report.get("review", {}).get("comments", [])[:top]:
        lead = next(iter(comment.get("fingerprints", ())), "")
        said = labels.comments.get((project, lead, _text_sha(comment)))
        if said is not None:
            c = cell(comment.get("path", ""), "comment_precision")
            c[0] += said == "useful"
            c[1] += 1
    return per_file


def replay(
    labels: CorpusLabels,
    baseline: Mapping[str, Mapping[str, Any]],
    candidate: Mapping[str, Mapping[str, Any]],
    top: int = 20,
) -> OfflineReplay:
    """Pair two configurations' report.json (per corpus project) file by file."""
    if set(baseline) != set(candidate):
        raise InvalidComparisonRequestError("both configurations must review the same projects")
    arms = [
        {
            (p, path): v
            for p in sorted(reports)
            for path, v in _counts(p, reports[p], labels, top).items()
        }
        for reports in (baseline, candidate)
    ]
    tasks = sorted(set(arms[0]) | set(arms[1]))
    metrics = {}
    for name, spec in OFFLINE_METRICS.items():
        a, b = (_column(arm, tasks, name) for arm in arms)
        metrics[name] = PairedMetric(spec, a, b)
    return OfflineReplay(tuple(f"{p}:{path}" for p, path in tasks), metrics)


def _column(
    arm: Mapping[tuple[str, str], dict[str, list[float]]],
    tasks: Iterable[tuple[str, str]],
    name: str,
) -> np.ndarray:
    zero = [0.0, 0.0]
    return np.array([arm[t][name] if t in arm else zero for t in tasks], dtype=float).reshape(-1, 2)
