"""The function-metric texts: they load, every text renders, and malformed files are errors."""

from __future__ import annotations

import pytest

from coderev.domain.errors import ConfigError
from coderev.review.guidance import PLACEHOLDERS, default_guidance, parse_guidance, render


def test_shipped_guidance_covers_every_function_aspect_and_renders() -> None:
    book = default_guidance()
    assert book.version >= 2
    values = {name: f"<{name}>" for name in PLACEHOLDERS}
    for text in book.aspects.values():
        for template in (text.why, text.suggestion):
            rendered = render(template, values)
            assert "{" not in rendered and rendered.strip()
    assert {"complexity", "length", "parameters", "nesting"} <= set(book.aspects)


def test_unknown_placeholder_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"unknown placeholder.*fnction"):
        parse_guidance('version = 2\n[aspects.x]\nwhy = "w"\nsuggestion = "fix {fnction}"')


@pytest.mark.parametrize(
    ("text", "problem"),
    [("version = 'one'", "version"), ("= broken", "TOML"),
     ('version = 2\n[aspects.x]\nwhy = "w"', "why.*suggestion"),
     ("version = 2\naspects = 3", "table")],
)
def test_malformed_guidance_is_a_config_error(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_guidance(text)
