"""Review comments say the right thing for each rule, once: the cases that were wrong before."""

from __future__ import annotations

import re

import pytest

from coderev.domain.findings import Category, Severity
from coderev.review.offline import OfflineReviewer
from coderev.review.posting import post_everything
from coderev.rules import default_catalogue
from coderev.rules.repetition import repeated_sentences


def posting_all(**options: int) -> OfflineReviewer:
    """The offline reviewer posting every group: these tests read every comment's text."""
    return OfflineReviewer(posting=post_everything, **options)



def _comment(build, rule_id: str, path: str = "pkg/mod.py", message: str = "", **extra: str):
    entry = default_catalogue().rule(rule_id)
    finding = build.finding(
        rule_id, path=path, line=3, severity=entry.severity, category=entry.category,
        message=message or entry.title, fix_hint=entry.suggestion, **extra,
    )
    [comment] = posting_all().review(build.subject([finding])).comments
    return comment


def test_a_missing_timeout_is_not_told_to_rotate_a_secret(build) -> None:
    c = _comment(build, "S113", message="Probable use of `requests` call without timeout")
    assert "timeout=" in c.suggestion
    assert not re.search(r"secret|rotate", c.why + c.suggestion, re.IGNORECASE)


def test_a_weak_hash_gets_hash_advice_not_deserialisation_advice(build) -> None:
    c = _comment(build, "S324", message="Probable use of insecure hash functions in `hashlib`")
    assert "SHA-256" in c.suggestion and "usedforsecurity=False" in c.suggestion
    assert not re.search(r"pickle|deserial|literal_eval", c.why + c.suggestion)


@pytest.mark.parametrize(
    ("rule_id", "advice"),
    [("ASYNC251", "asyncio.sleep"), ("ASYNC210", "AsyncClient"), ("ASYNC230", "to_thread"),
     ("RUF006", "TaskGroup")],
)
def test_async_rules_get_their_own_advice(build, rule_id: str, advice: str) -> None:
    c = _comment(build, rule_id)
    assert advice in c.suggestion


def test_an_unused_import_in_a_package_init_is_not_told_to_break_the_re_export(build) -> None:
    init = _comment(build, "F401", path="pkg/__init__.py", message="`Client` imported but unused")
    assert "__all__" in init.suggestion and "import x as x" in init.suggestion
    assert not init.suggestion.lower().startswith("delete")
    plain = _comment(build, "F401", path="pkg/mod.py", message="`os` imported but unused")
    assert plain.suggestion.startswith("Delete the import")


def test_an_unvetted_rule_gets_ruffs_description_and_no_invented_advice(build) -> None:
    finding = build.finding("PLR0913", message="Too many arguments in function definition (7 > 5)")
    [c] = posting_all().review(build.subject([finding])).comments
    assert c.why == default_catalogue().rule("PLR0913").why  # ruff's own "why is this bad"
    assert c.suggestion == (
        "ruff documents the rule and its fix at https://docs.astral.sh/ruff/rules/too-many-arguments/"
    )
    with_fix = build.finding("UP006", message="Use `list` instead of `List`",
                             fix_hint="Replace with `list`")
    [c] = posting_all().review(build.subject([with_fix])).comments
    assert c.suggestion == "Replace with `list`."


def test_a_safe_autofix_is_mentioned_once_and_an_unsafe_one_not_at_all(build) -> None:
    safe = _comment(build, "F541", fix_applicability="safe")
    assert safe.suggestion.count("ruff check --fix") == 1
    unsafe = _comment(build, "F401", path="pkg/__init__.py", fix_applicability="unsafe")
    assert "--fix" not in unsafe.suggestion


def test_repeated_hints_of_a_group_are_said_once(build) -> None:
    hint = "Cut the import of a in b."
    findings = [
        build.finding("CR-PARSE-002", line=n, category=Category.MAINTAINABILITY,
                      severity=Severity.LOW, fix_hint=hint) for n in (1, 2)
    ]
    [c] = posting_all().review(build.subject(findings)).comments
    assert c.suggestion == hint


def test_no_comment_on_any_catalogue_rule_repeats_a_sentence(build) -> None:
    """Every rule's comment, rendered as a reviewer would post it, says each thing once and
    keeps its advice (de-duplication never eats a vetted suggestion)."""
    for entry in default_catalogue():
        if entry.id.startswith("CR-MET"):
            continue  # function-metric comments merge aspects (see test_offline)
        c = _comment(build, entry.id, path="pkg/__init__.py" if entry.id == "F401" else "p.py")
        assert repeated_sentences([c.title, c.why, c.suggestion]) == [], entry.id
        if entry.vetted:
            assert c.suggestion.startswith(entry.suggestion[:20]) or entry.id == "F401", entry.id
            assert c.why == entry.why, entry.id
