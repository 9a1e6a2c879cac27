"""A scripted model's answer to coderev's review prompt: valid, non-empty, grounded.

For demos and tests without a real model (`coderev model-server`, coderev.providers.wire):
given the user message a review chunk renders (coderev.review.ai.prompt describes its
shape), it comments on the chunk's first static finding, or, without one, on the first line
of the first file shown, in the reply schema's JSON. It never calls anything.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["scripted_reply"]

_FINDINGS = re.compile(r"<findings>\s*(.*?)\s*</findings>", re.DOTALL)
_FILE = re.compile(r'<file path="([^"]+)" role="[^"]*" lines="(\d+)-(\d+)"')


def scripted_reply(user_message: str, model: str = "scripted") -> str:
    """The reply JSON text ({"comments": [...]}) for one rendered review chunk; a prompt
    that is not coderev's gets {"comments": []}."""
    comments: list[dict[str, Any]] = []
    found = _FINDINGS.search(user_message)
    findings: list[dict[str, Any]] = []
    if found:
        try:
            findings = json.loads(found.group(1))
        except ValueError:
            findings = []
    if findings:
        first = findings[0]
        comments.append({
            "file": first["file"], "line": first["line"], "severity": first["severity"],
            "category": first["category"],
            "message": f"{model} agrees with {first['rule']}: {first['message']}. It deserves "
                       "a fix before this change is merged.",
            "suggestion": "Fix the flagged line as the rule advises, and add a test for it.",
            "confidence": 0.8,
        })  # fmt: skip
    shown = _FILE.search(user_message)
    if shown:
        comments.append({
            "file": shown.group(1), "line": int(shown.group(2)), "severity": "low",
            "category": "maintainability",
            "message": f"{model} suggests a module docstring saying what this file is for.",
            "suggestion": "Start the module with a one-line docstring naming its purpose.",
            "confidence": 0.6,
        })  # fmt: skip
    return json.dumps({"comments": comments})
