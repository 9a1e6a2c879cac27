"""Review comments: the reviewer interface, the offline reviewer, ranking and the quality gate.

- `reviewer`: `Reviewer` protocol and `ReviewInput`; `registry`: reviewers by name (`get_reviewer`).
- `offline`: the rule-based reviewer (no API key), texts from `guidance.toml`.
- `grouping` / `ranking`: one comment per repeated rule or per function; order and caps.
- `summary`: the review's markdown summary.
- `baseline`: findings marked new/existing against a baseline's fingerprints.
- `gate`: `--fail-on` specs parsed and evaluated into a `GateOutcome`.
- `ai/`: the AI reviewer (`auto`, `openai:MODEL`, ...): routed models' comments merged with the
  offline reviewer's (its own package docstring lists its modules).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Loaded on first use (PEP 562): importing one module of the package, e.g. `gate` for an HTTP
# request's --fail-on check, must not import the offline reviewer and its guidance texts.
_HOME = {
    "mark_findings": "baseline",
    "GateSpec": "gate",
    "evaluate_gate": "gate",
    "parse_gate": "gate",
    "sort_findings": "ranking",
    "get_reviewer": "registry",
    "register_reviewer": "registry",
    "reviewer_names": "registry",
    "Reviewer": "reviewer",
    "ReviewInput": "reviewer",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'coderev.review' has no attribute {name!r}")
    return getattr(importlib.import_module(f"coderev.review.{_HOME[name]}"), name)
