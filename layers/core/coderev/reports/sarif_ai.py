"""What report.sarif says of an AI review: model comments as results, the run's record.

A comment a model wrote (not one merged into the offline reviewer's) is a result of the rule
`CR-AI-REVIEW`, whose properties name the model and its confidence, and whose fingerprint is
the comment's file, line and title (a model comment has no finding fingerprint of its own
unless it was about a finding). The AI review's record (report.json's `review.ai`: models,
chunks, tokens, cost, what was not sent) is the run's `aiReview` property.
"""

from __future__ import annotations

import hashlib
from typing import Any

from coderev.domain.findings import Severity
from coderev.domain.review import OFFLINE, Review, ReviewComment

__all__ = ["AI_RULE_ID", "ai_results", "ai_rule"]

AI_RULE_ID = "CR-AI-REVIEW"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}  # fmt: skip


def model_comments(review: Review) -> list[ReviewComment]:
    if review.ai is None:
        return []
    return [c for c in review.comments if c.reviewer != OFFLINE and not c.reviewer.startswith(
        OFFLINE + "+")]  # fmt: skip


def ai_rule() -> dict[str, Any]:
    text = ("A comment written by an AI model reviewing the code with its static findings; "
            "the result's properties name the model and its confidence.")  # fmt: skip
    return {
        "id": AI_RULE_ID,
        "name": "AiReviewComment",
        "shortDescription": {"text": "AI review comment"},
        "fullDescription": {"text": text},
        "help": {"text": text},
        "defaultConfiguration": {"level": "note"},
        "properties": {"tags": ["ai-review"]},
    }


def ai_results(review: Review, rule_index: int) -> list[dict[str, Any]]:
    out = []
    for c in model_comments(review):
        digest = hashlib.sha256(f"{c.path}\0{c.line}\0{c.title}".encode()).hexdigest()[:32]
        message = c.why if not c.suggestion else f"{c.why}\n\nSuggestion: {c.suggestion}"
        out.append({
            "ruleId": AI_RULE_ID,
            "ruleIndex": rule_index,
            "level": _LEVEL[c.severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": c.path or ".", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": max(c.line, 1)},
            }}],
            "partialFingerprints": {"coderev/ai/v1": digest},
            "properties": {
                "severity": c.severity.value, "category": c.category.value,
                "role": c.role.value, "reviewer": c.reviewer, "confidence": c.confidence,
                "findings": list(c.fingerprints),
            },
        })  # fmt: skip
    return out
