"""A second reviewer's check of the corpus: a blind sample to re-label, and the agreement.

`blind_sample` draws labelled findings spread over categories and the labeller's roles, with
the label and reason removed; once someone has filled the label column in, `agreement`
compares it with the corpus (raw agreement, Cohen's kappa and where the two differ).

Cohen's kappa is four lines of arithmetic over a confusion table; it is written here rather
than adding scikit-learn or statsmodels to the development dependencies for it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

BLIND_COLUMNS = ("project", "fingerprint", "rule_id", "category", "path", "line", "role",
                 "label", "reason")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Agreement:
    compared: int  # findings labelled by both
    agreed: int
    kappa: float | None  # None when chance agreement is total (one label only)
    confusion: Mapping[tuple[str, str], int]  # (corpus label, second label) -> count

    @property
    def share(self) -> float | None:
        return self.agreed / self.compared if self.compared else None


def blind_sample(rows: Sequence[Mapping[str, str]], n: int, seed: int = 7) -> list[dict[str, str]]:
    """Up to `n` corpus rows, round-robin over (category, role) strata, labels blanked."""
    strata: dict[tuple[str, str], list[Mapping[str, str]]] = {}
    for row in rows:
        strata.setdefault((row["category"], row["role"]), []).append(row)
    rng = random.Random(seed)
    queues = [rng.sample(group, len(group)) for _, group in sorted(strata.items())]
    picked: list[Mapping[str, str]] = []
    while len(picked) < n and any(queues):
        for queue in queues:
            if queue and len(picked) < n:
                picked.append(queue.pop())
    return [{**{c: row[c] for c in BLIND_COLUMNS}, "label": "", "reason": ""} for row in picked]


def agreement(
    corpus: Sequence[Mapping[str, str]], second: Sequence[Mapping[str, str]]
) -> Agreement:
    """Compare a second labelling with the corpus, matched by (project, fingerprint)."""
    first = {(r["project"], r["fingerprint"]): r["label"] for r in corpus}
    pairs = [(first[key], r["label"]) for r in second
             if r.get("label") and (key := (r["project"], r["fingerprint"])) in first]  # fmt: skip
    confusion = Counter(pairs)
    n = len(pairs)
    agreed = sum(count for (a, b), count in confusion.items() if a == b)
    if not n:
        return Agreement(0, 0, None, {})
    firsts, seconds = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(firsts[label] * seconds[label] for label in firsts) / (n * n)
    kappa = None if chance == 1 else (agreed / n - chance) / (1 - chance)
    return Agreement(n, agreed, kappa, dict(confusion))


def render_agreement(result: Agreement) -> str:
    if not result.compared:
        return "agreement: no finding of the second labelling is in the corpus"
    kappa = "n/a" if result.kappa is None else f"{result.kappa:.2f}"
    lines = [f"agreement with the corpus: {result.agreed} of {result.compared} findings "
             f"({100 * (result.share or 0):.0f}%), Cohen's kappa {kappa}"]  # fmt: skip
    lines += [f"  corpus {a:<15} second {b:<15} {count}"
              for (a, b), count in sorted(result.confusion.items()) if a != b]  # fmt: skip
    return "\n".join(lines)
