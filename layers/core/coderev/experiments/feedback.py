"""Feedback on review comments: users mark a finding or comment `accepted`, `dismissed` (noise)
or `wrong`, by HTTP, the CLI or the links in report.md / report.sarif / report.html.

Acceptance (accepted / verdicts given) is computed per rule, model, configuration or project;
it is a metric experiments can use (`acceptance`, a ratio). A rule with fewer than
ACCEPTANCE_THRESHOLD (30%) accepted among at least `min_votes` verdicts in a project is shown
collapsed in that project's reports (`collapsed_rules`): the noise a team measured is folded
away, not deleted. Counting is a few lines over the records; no library is needed for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coderev.domain.report import ACCEPTANCE_THRESHOLD
from coderev.experiments.model import Feedback

__all__ = ["ACCEPTANCE_THRESHOLD", "GROUPS", "Acceptance", "acceptance", "collapsed_rules"]

GROUPS = ("rule", "model", "configuration", "project")


@dataclass(frozen=True, slots=True)
class Acceptance:
    key: str
    accepted: int
    dismissed: int
    wrong: int

    @property
    def verdicts(self) -> int:
        return self.accepted + self.dismissed + self.wrong

    @property
    def share(self) -> float:
        return self.accepted / self.verdicts if self.verdicts else 0.0


def _key(item: Feedback, by: str) -> str | None:
    return {"rule": item.rule_id, "model": item.model, "configuration": item.configuration,
            "project": item.project}[by]  # fmt: skip


def acceptance(items: Iterable[Feedback], by: str = "rule") -> list[Acceptance]:
    """Verdicts counted per `by` (rule, model, configuration, project), most verdicts first;
    feedback without that attribute (e.g. no model: an offline review) is left out."""
    if by not in GROUPS:
        raise ValueError(f"acceptance is grouped by one of {', '.join(GROUPS)}")
    counts: dict[str, list[int]] = {}
    for item in items:
        key = _key(item, by)
        if key is None:
            continue
        row = counts.setdefault(key, [0, 0, 0])
        row[("accepted", "dismissed", "wrong").index(item.verdict)] += 1
    rows = [Acceptance(k, *v) for k, v in counts.items()]
    return sorted(rows, key=lambda r: (-r.verdicts, r.key))


def collapsed_rules(
    items: Iterable[Feedback], min_votes: int = 5, threshold: float = ACCEPTANCE_THRESHOLD
) -> dict[str, float]:
    """Rules with at least `min_votes` verdicts of which fewer than `threshold` accept:
    rule -> share accepted (give it one project's feedback)."""
    return {r.key: r.share for r in acceptance(items, "rule")
            if r.verdicts >= min_votes and r.share < threshold}  # fmt: skip
