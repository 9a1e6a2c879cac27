"""The prompt is a versioned data file whose rendering is pinned; replies are held to it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from coderev.domain.errors import ConfigError, ProviderInvalidOutput
from coderev.domain.findings import Category, Finding, Severity
from coderev.domain.roles import FileRole
from coderev.review.ai.chunks import Chunk, ChunkFile, render_chunk
from coderev.review.ai.prompt import CURRENT_PROMPT, load_prompt
from coderev.review.ai.replies import check_comments, parse_reply
from coderev.review.ai.scripted import scripted_reply

SNAPSHOT = Path(__file__).with_name("snapshots") / f"{CURRENT_PROMPT}.txt"
FILE = ChunkFile(
    "src/shop/orders.py", FileRole.SOURCE, 10, 40,
    ("def total(order):", "    return sum(i.price for i in order.items)", "", "def pay(db, id):",
     "    db.execute(f\"update orders set paid = 1 where id = {id}\")"),
    ("module shop.orders", "imported by 3, imports 1 internal modules"),
)  # fmt: skip
FINDING = Finding("S608", Severity.HIGH, Category.SECURITY, "src/shop/orders.py", 14,
                  "Possible SQL injection vector", "", "fp-1")  # fmt: skip
CHUNK = Chunk(0, (FILE,), (FINDING,), 900)


def rendered() -> str:
    prompt = load_prompt()
    return f"# system\n{prompt.system}\n\n# user\n{render_chunk(prompt, [FILE], [FINDING])}\n"


def test_the_rendered_prompt_matches_its_snapshot() -> None:
    """A change to the prompt file or its rendering shows here; review the diff, then
    refresh with CODEREV_UPDATE_SNAPSHOTS=1 (a new wording deserves a new prompt version)."""
    if os.environ.get("CODEREV_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.write_text(rendered())
    assert rendered() == SNAPSHOT.read_text()


def test_an_unknown_prompt_version_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="review-v0"):
        load_prompt("review-v0")


@pytest.mark.parametrize("text", ["not json", '{"remarks": []}', "[]", '{"comments": {}}'])
def test_a_reply_that_is_not_the_schemas_object_is_invalid_output(text: str) -> None:
    with pytest.raises(ProviderInvalidOutput):
        parse_reply(text, load_prompt())


def test_a_fenced_reply_is_read() -> None:
    assert parse_reply('```json\n{"comments": []}\n```', load_prompt()) == []


def comment(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "file": "src/shop/orders.py", "line": 11, "severity": "medium",
        "category": "bug-risk", "message": "An empty order sums to 0.", "suggestion": "Guard.",
        "confidence": 0.9,
    }  # fmt: skip
    return item | changes


def test_comments_off_the_chunk_are_dropped_and_counted() -> None:
    items = [
        comment(),
        comment(file="src/shop/other.py"),  # not in the chunk
        comment(line=3),  # in the file, not shown
        comment(line=41),  # the file has 40 lines
        comment(severity="urgent"),  # not in the schema
        comment(confidence=0.1),
    ]
    kept, dropped = check_comments(items, CHUNK, load_prompt(), "openai:gpt-test", 0.3)
    assert [(d.path, d.line, d.reviewer) for d in kept] == [
        ("src/shop/orders.py", 11, "openai:gpt-test")
    ]
    assert dict(dropped) == {
        "outside_chunk": 2, "nonexistent_line": 1, "invalid": 1, "low_confidence": 1,
    }  # fmt: skip


def test_the_scripted_model_answers_the_prompt_validly() -> None:
    prompt = load_prompt()
    user = render_chunk(prompt, [FILE], [FINDING])
    items = parse_reply(scripted_reply(user, "demo"), prompt)
    kept, dropped = check_comments(items, CHUNK, prompt, "demo")
    assert not dropped
    assert [(d.line, d.category) for d in kept] == [
        (14, Category.SECURITY), (10, Category.MAINTAINABILITY),
    ]  # fmt: skip
