"""Repeated sentences are found and dropped, whatever their case, punctuation or backticks."""

from __future__ import annotations

from coderev.rules.repetition import repeated_sentences, sentences, without_repeats


def test_sentences_keep_abbreviations_versions_and_code_whole() -> None:
    text = "Use e.g. `ruff check .` on Python 3.12. Then rerun it! Done?"
    assert sentences(text) == ["Use e.g. `ruff check .` on Python 3.12.", "Then rerun it!", "Done?"]


def test_a_repeat_in_a_later_part_is_dropped_and_the_first_kept() -> None:
    why = "Unused imports slow start-up."
    suggestion = "Remove the import. Unused imports slow `START-UP`"
    assert without_repeats([why, suggestion]) == [why, "Remove the import."]
    assert repeated_sentences([why, suggestion]) == ["Unused imports slow `START-UP`"]


def test_distinct_sentences_are_left_alone() -> None:
    parts = ["Title", "It hangs. Forever.", "Pass `timeout=`."]
    assert without_repeats(parts) == parts
    assert repeated_sentences(parts) == []
