"""The guidance data file: it loads, every text renders, and rule keys match at boundaries."""

from __future__ import annotations

import pytest

from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category
from coderev.review.guidance import PLACEHOLDERS, default_guidance, parse_guidance, render


def test_shipped_guidance_covers_every_category_and_renders() -> None:
    book = default_guidance()
    assert book.version >= 1
    assert set(book.categories) == set(Category)
    values = {name: f"<{name}>" for name in PLACEHOLDERS}
    for text in [*book.rules.values(), *book.categories.values(), *book.aspects.values()]:
        for template in (text.why, text.suggestion):
            rendered = render(template, values)
            assert "{" not in rendered and rendered.strip()
    assert {"complexity", "length", "parameters", "nesting"} <= set(book.aspects)


@pytest.mark.parametrize(
    ("rule", "category", "expected_key"),
    [("S608", Category.SECURITY, "S608"), ("S602", Category.SECURITY, "S6"),
     ("S999", Category.SECURITY, "S"), ("SIM102", Category.STYLE, "SIM"),
     ("E722", Category.BUG_RISK, "E722"), ("ERA001", Category.STYLE, None),
     ("CR-MET-003", Category.MAINTAINABILITY, "CR-MET-"), ("F821", Category.BUG_RISK, "F821")],
)
def test_longest_rule_key_at_a_boundary_wins(
    rule: str, category: Category, expected_key: str | None
) -> None:
    book = default_guidance()
    expected = book.rules[expected_key] if expected_key else book.categories[category]
    assert book.for_rule(rule, category) == expected


def _book(extra: str) -> str:
    cats = "\n".join(
        f'[categories.{c.value}]\nwhy = "w"\nsuggestion = "s"' for c in Category
    )
    return f"version = 1\n{cats}\n{extra}"


def test_unknown_placeholder_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"unknown placeholder.*fnction"):
        parse_guidance(_book('[rules."X"]\nwhy = "w"\nsuggestion = "fix {fnction}"'))


@pytest.mark.parametrize(
    ("text", "problem"),
    [("version = 'one'", "version"), ("version = 1", "categories"), ("= broken", "TOML"),
     (_book('[rules."X"]\nwhy = "w"'), "why.*suggestion")],
)
def test_malformed_guidance_is_a_config_error(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_guidance(text)
