"""A comment never says the same thing twice: repeated sentences are dropped, first one kept.

Sentences are compared by their words (case, punctuation and backticks ignored), across the
comment's parts in order (title, why, suggestion), so a suggestion that repeats the why, or a
tool's hint that repeats the suggestion, loses the repeat. Hand-written because the rule is
this simple; a sentence splitter library would be heavier than the whole of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A sentence ends at . ! or ? followed by a space and a capital letter, backtick or quote,
# except after "e.g." and "i.e.": "3.12" and code spans such as `ruff check .` stay whole.
_BOUNDARY = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)\s+(?=[A-Z`\"'(])")
_WORD = re.compile(r"[a-z0-9_]+")


def sentences(text: str) -> list[str]:
    """`text` split into its sentences, whitespace-trimmed, empty ones left out."""
    return [s.strip() for s in _BOUNDARY.split(text.strip()) if s.strip()]


def sentence_key(sentence: str) -> str:
    """What a sentence says, for comparison: its words, lower-cased."""
    return " ".join(_WORD.findall(sentence.lower()))


def without_repeats(parts: Iterable[str]) -> list[str]:
    """Each part with the sentences already said (earlier in it, or in an earlier part) removed."""
    seen: set[str] = set()
    out = []
    for part in parts:
        kept = []
        for sentence in sentences(part):
            key = sentence_key(sentence)
            if key and key in seen:
                continue
            seen.add(key)
            kept.append(sentence)
        out.append(" ".join(kept))
    return out


def repeated_sentences(parts: Iterable[str]) -> list[str]:
    """The sentences of `parts` that say what an earlier sentence already said."""
    seen: set[str] = set()
    repeats = []
    for part in parts:
        for sentence in sentences(part):
            key = sentence_key(sentence)
            if key in seen:
                repeats.append(sentence)
            seen.add(key)
    return repeats
