"""Markdown written for people (the review summary) rendered as HTML for report.html.

markdown-it-py with the CommonMark preset and raw HTML off: whatever HTML a finding's message
or a model's answer carries comes out as text, and links with unsafe schemes (javascript:,
vbscript:, file:, data: other than images) are left unlinked by its link validation.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markupsafe import Markup


@cache
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # tables: summaries may carry a small metric table; nothing else beyond CommonMark
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(text: str) -> Markup:
    """`text` as safe HTML: raw HTML in it escaped, unsafe links not linked."""
    from markupsafe import Markup

    return Markup(_parser().render(text))  # noqa: S704 - markdown-it escapes; html is off


def markdown_inline_to_html(text: str) -> Markup:
    """One line of Markdown (a comment's title, why or suggestion) as safe inline HTML."""
    from markupsafe import Markup

    return Markup(_parser().renderInline(text))  # noqa: S704 - markdown-it escapes; html is off


@cache
def _code_spans_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # only `code` spans: a finding's message is plain text written with backticks, where
    # emphasis rules would eat the underscores of `__init__` or the stars of `*args`
    return MarkdownIt("zero").enable("backticks")


def code_spans_to_html(text: str) -> Markup:
    """Plain text with its `backtick` spans as <code>, everything else escaped as is."""
    from markupsafe import Markup

    return Markup(_code_spans_parser().renderInline(text))  # noqa: S704 - markdown-it escapes
