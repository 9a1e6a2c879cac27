"""A model's reply, checked: parsed against the prompt's schema, each comment held to its chunk.

`parse_reply` turns the reply's text into its comments or raises ProviderInvalidOutput (not
JSON, or not the object the schema asks for): the router retries that once on the same model,
then moves to the next candidate; a chunk every candidate fails is recorded failed.

`check_comments` keeps a comment only when it points at a line the chunk showed; each one
dropped is counted by reason, so the report says how many comments went and why:

- `invalid`: the item does not match the schema (a missing member, a severity not listed);
- `outside_chunk`: a file the chunk did not hold, or a line of it the chunk did not show;
- `nonexistent_line`: a line number the file does not have;
- `low_confidence`: below the minimum confidence (CODEREV_AI_MIN_CONFIDENCE).

Comments that repeat a static finding or another model comment are merged or dropped later,
when all chunks are in (coderev.review.ai.merge).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from coderev.domain.errors import ProviderInvalidOutput
from coderev.domain.findings import Category, Severity
from coderev.review.ai.chunks import Chunk
from coderev.review.ai.prompt import Prompt

__all__ = ["Draft", "check_comments", "parse_reply"]

_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*)\n\s*```\s*$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Draft:
    """One comment a model wrote, checked against its chunk; not yet merged."""

    path: str
    line: int
    severity: Severity
    category: Category
    message: str
    suggestion: str
    confidence: float
    reviewer: str  # "provider:model"


def parse_reply(text: str, prompt: Prompt) -> list[Any]:
    """The reply's comment items. ProviderInvalidOutput when the text is not a JSON object of
    the schema's shape (a fenced ```json block is accepted: models add one unasked)."""
    fenced = _FENCE.match(text)
    body = fenced.group(1) if fenced else text
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ProviderInvalidOutput(f"the reply is not JSON: {exc}") from None
    envelope = dict(prompt.reply_schema)
    envelope["properties"] = {"comments": {"type": "array"}}
    errors = sorted(Draft202012Validator(envelope).iter_errors(document), key=str)
    if errors:
        raise ProviderInvalidOutput(f"the reply does not follow the schema: {errors[0].message}")
    items: list[Any] = document["comments"]
    return items


def check_comments(
    items: Sequence[Any],
    chunk: Chunk,
    prompt: Prompt,
    reviewer: str,
    min_confidence: float = 0.0,
) -> tuple[list[Draft], Counter[str]]:
    """The items that point at lines the chunk showed, and the count of each drop reason."""
    item_schema = prompt.reply_schema["properties"]["comments"]["items"]
    validator = Draft202012Validator(item_schema)
    lengths: Mapping[str, int] = {f.path: f.total_lines for f in chunk.files}
    kept: list[Draft] = []
    dropped: Counter[str] = Counter()
    for item in items:
        if not validator.is_valid(item):
            dropped["invalid"] += 1
            continue
        path, line = item["file"], item["line"]
        if path not in lengths:
            dropped["outside_chunk"] += 1
        elif line > lengths[path]:
            dropped["nonexistent_line"] += 1
        elif not chunk.shows(path, line):
            dropped["outside_chunk"] += 1
        elif float(item["confidence"]) < min_confidence:
            dropped["low_confidence"] += 1
        else:
            kept.append(Draft(
                path, line, Severity(item["severity"]), Category(item["category"]),
                item["message"].strip(), item["suggestion"].strip(),
                float(item["confidence"]), reviewer,
            ))  # fmt: skip
    return kept, dropped
