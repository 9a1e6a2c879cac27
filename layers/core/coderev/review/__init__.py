"""Review comments: the reviewer interface, the offline reviewer, ranking and the quality gate.

- `reviewer`: `Reviewer` protocol and `ReviewInput`; `registry`: reviewers by name (`get_reviewer`).
- `offline`: the rule-based reviewer (no API key), texts from `guidance.toml`.
- `grouping` / `ranking`: one comment per repeated rule or per function; order and caps.
- `summary`: the review's markdown summary.
- `baseline`: findings marked new/existing against a baseline's fingerprints.
- `gate`: `--fail-on` specs parsed and evaluated into a `GateOutcome`.
"""

from __future__ import annotations

from coderev.review.baseline import mark_findings
from coderev.review.gate import GateSpec, evaluate_gate, parse_gate
from coderev.review.ranking import sort_findings
from coderev.review.registry import get_reviewer, register_reviewer, reviewer_names
from coderev.review.reviewer import Reviewer, ReviewInput

__all__ = [
    "GateSpec",
    "ReviewInput",
    "Reviewer",
    "evaluate_gate",
    "get_reviewer",
    "mark_findings",
    "parse_gate",
    "register_reviewer",
    "reviewer_names",
    "sort_findings",
]
