"""Raw line counts of Python source (loc, sloc, lloc, comments, multi, blank), radon's way.

radon's `radon.raw.analyze` re-tokenizes each logical line on its own, and when a line is
incomplete (an open bracket or string) it appends the next line and tokenizes the whole
buffer again, so a 50,000-line dict literal costs 50,000 growing tokenizations: quadratic.
Here the file is tokenized once and the same rules are applied to the token stream:

* a *chunk* is what radon would tokenize together: one logical line (ended by NEWLINE), or
  one blank or comment-only line (ended by NL with nothing significant before it);
* a chunk that is a lone COMMENT counts as a single comment line, a lone STRING spanning
  several lines counts its lines as `multi` (its empty lines as blank), anything else counts
  its non-empty lines as `sloc`;
* `lloc` splits a chunk on `;` and counts each part as 0 (empty), 1, or 2 when it holds a `:`
  that is not its last token (`if x: return` is two logical lines, `if x:` one), with radon's
  exact off-by-one for parts before a `;`;
* lines are radon's: `str.splitlines()` also breaks at form feeds and other separators, so a
  physical line holding one counts as several (empty pieces as blank).

Beside radon's figures, `code_lines` lists the first row of every logical line of code (a
chunk ended by NEWLINE that is not a lone string): functions' lengths are counted in them.

Known differences from radon, both rare: a physical line holding two pieces of code split by a
form feed counts once, and files with bare-CR (old Mac) line endings are counted per LF line.
Measured equal to radon on every file of the stdlib's json/email/asyncio, jinja2, rich and
Django's `django/` package.

Two ways to the same figures:

* `_scan` (tried first, written by hand): one C regex finds the only characters that change
  the count (quotes, `#`, backslashes, newlines); what lies between them is plain code, of
  which only bracket depth, a last `:` and whether it is blank matter. A chunk ends at a newline
  outside brackets. It does a few string operations per row where the tokenizer builds a tuple
  per token with its line: on Django's 2,786 files 1.0 s against 2.5 s. It gives up (`_Unsure`)
  where a plain scan cannot be sure of the tokenizer's view: a `;`, a form feed or other extra
  line break, an f-string whose fields hold quotes, `#` or backslashes, a t-string, a stray
  backslash. Those files (a few percent) are counted by `_from_tokens`; tests hold the two
  equal on the stdlib and on hand-made edge cases.
* `_from_tokens`: CPython 3.12's C tokenizer iterator (`_tokenize.TokenizerIter`), the one
  `tokenize.generate_tokens` wraps; calling it directly skips a namedtuple per token and halves
  the cost. Falls back to the public API when the private one is missing.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

try:  # CPython 3.12+: the C tokenizer behind tokenize.generate_tokens
    from _tokenize import TokenizerIter as _TokenizerIter  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - other interpreters
    _TokenizerIter = None

_COMMENT = tokenize.COMMENT
_NL = tokenize.NL
_NEWLINE = tokenize.NEWLINE
_OP = tokenize.OP
_STRING = tokenize.STRING
_SKIPPED = frozenset({tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})
_CHECK_EVERY = 4096

# Line breaks that str.splitlines() honours inside what the tokenizer sees as one line.
_EXTRA_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]|\r(?!\n)")


@dataclass(frozen=True, slots=True)
class RawLines:
    """radon's raw metrics of one file."""

    loc: int
    sloc: int
    lloc: int
    comments: int
    multi: int
    blank: int
    single_comments: int
    # First row of every logical line of code, ascending: what coderev measures a function's
    # length in (see coderev.analysis.python_scopes). A logical line that is a string literal
    # alone (a docstring or another bare string), a comment or blank is not code.
    code_lines: tuple[int, ...] = ()


def _tokens(text: str) -> Iterator[Any]:
    readline = io.StringIO(text).readline
    if _TokenizerIter is not None:
        return iter(_TokenizerIter(readline, extra_tokens=True))
    return tokenize.generate_tokens(readline)  # pragma: no cover


class _Lines:
    """Non-empty / empty counts of radon's lines for a range of physical rows."""

    __slots__ = ("lines", "pieces")

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n") if text else []
        if text.endswith("\n"):
            self.lines.pop()
        self.pieces: dict[int, tuple[int, int]] = {}
        if _EXTRA_BREAKS.search(text):
            for row, line in enumerate(self.lines, 1):
                if _EXTRA_BREAKS.search(line.rstrip("\r")):
                    parts = line.rstrip("\r").splitlines() or [""]
                    full = sum(1 for p in parts if p.strip())
                    self.pieces[row] = (full, len(parts) - full)

    def count(self, first: int, last: int) -> tuple[int, int]:
        """(non-empty, empty) radon lines among physical rows first..last (1-based)."""
        lines = self.lines
        pieces = self.pieces
        if first == last and not pieces and first <= len(lines):  # the usual: one row
            return (1, 0) if lines[first - 1].strip() else (0, 1)
        full = empty = 0
        for row in range(first, min(last, len(lines)) + 1):
            if pieces and row in pieces:
                f, e = pieces[row]
                full += f
                empty += e
            elif lines[row - 1].strip():
                full += 1
            else:
                empty += 1
        return full, empty


def count_raw_lines(text: str, check: Callable[[], None] | None = None) -> RawLines:
    """radon.raw.analyze's figures for `text`: scanned, or tokenized where a scan is unsure.

    `check` is called every few thousand rows or tokens (a time-budget check that may raise).
    Raises tokenize.TokenError / SyntaxError on source the tokenizer rejects.
    """
    try:
        return _scan(text, check)
    except _Unsure:
        return _from_tokens(text, check)


class _Unsure(Exception):
    """The scan met source whose tokens it cannot be sure of: tokenize it instead."""


_SPECIAL = re.compile(r"[\"'#\\\n]")
_PREFIX = frozenset("rRbBuUfFtT")
_TEMPLATE_OR_FORMAT = frozenset("fFtT")
_STRING_END = {
    '"""': re.compile(r'[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""', re.DOTALL),
    "'''": re.compile(r"[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'''", re.DOTALL),
    '"': re.compile(r'[^"\\\n]*(?:\\.[^"\\\n]*)*"', re.DOTALL),
    "'": re.compile(r"[^'\\\n]*(?:\\.[^'\\\n]*)*'", re.DOTALL),
}
# An f-string's body: escaped braces, a field (one level of nested fields in its format spec),
# or a lone brace the naive end of the string cut off (a nested quote: unsure).
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}|[{}]")


def _fstring_has_colon(body: str) -> bool:
    """Whether an f-string's fields hold a `:` token (a format spec, a slice, a lambda...)."""
    colon = False
    for match in _FIELD.finditer(body):
        field = match.group(1)
        if field is None:
            if match.group() in ("{{", "}}"):
                continue
            raise _Unsure
        if '"' in field or "'" in field or "#" in field or "\\" in field:
            raise _Unsure  # nested strings or comments: the tokenizer knows where they end
        if ":" in field.replace(":=", ""):
            colon = True
    return colon


def _prefix_start(text: str, quote_at: int, floor: int) -> int:
    """Where the string opening at `quote_at` begins, its prefix letters (rb, f...) included."""
    at = quote_at
    while at > floor and quote_at - at < 2 and text[at - 1] in _PREFIX:
        at -= 1
    if at < quote_at and at > 0 and (text[at - 1].isalnum() or text[at - 1] == "_"):
        return quote_at  # the letters end a name (`elif"x"`): no prefix
    return at


def _scan(text: str, check: Callable[[], None] | None) -> RawLines:
    """radon's figures from a scan of the characters that matter; raises _Unsure."""
    if _EXTRA_BREAKS.search(text):
        raise _Unsure
    lines: list[str] | None = None  # split for the first chunk of several rows
    code_lines: list[int] = []
    lloc = comments = single = multi = blank = sloc = 0
    next_row = row = 1
    start = 0  # first row of the open chunk, 0 when none
    sig = 0  # significant tokens in the chunk: 0 none, 1 a lone plain string, 2 more
    chunk_comments = 0
    colon = -1  # -1 no ':' in the chunk, 0 a ':' is its last token, 1 a ':' then more
    depth = pos = 0
    size = len(text)
    search = _SPECIAL.search
    countdown = _CHECK_EVERY
    while True:
        match = search(text, pos)
        at = match.start() if match is not None else size
        char = text[at] if match is not None else ""
        code_end = at
        if (char == '"' or char == "'") and at > pos and text[at - 1] in _PREFIX:
            code_end = _prefix_start(text, at, pos)
        if code_end > pos:  # plain code (no strings, comments or breaks) on this row
            code = text[pos:code_end]
            if not code.isspace():
                if ";" in code:
                    raise _Unsure
                if not start:
                    start = row
                sig = 2
                last = code.rfind(":")
                while last >= 0 and code.startswith("=", last + 1):  # ':=' is not a ':'
                    last = code.rfind(":", 0, last)
                if last >= 0:
                    rest = code[last + 1 :]
                    colon = 1 if rest and not rest.isspace() else 0
                elif colon == 0:
                    colon = 1
                depth += (
                    code.count("(") + code.count("[") + code.count("{")
                    - code.count(")") - code.count("]") - code.count("}")
                )  # fmt: skip
        if match is None:
            break
        if char == "\n":
            pos = at + 1
            if sig and depth > 0:  # a line break inside brackets
                row += 1
                continue
            if depth:
                raise _Unsure
            if sig == 2 and start == row == next_row:  # the usual: one row of code
                sloc += 1
                code_lines.append(row)
            else:
                if not start:
                    start = row
                if start > next_row:
                    blank += start - next_row
                if start == row:
                    full, empty = 1, 0
                else:
                    if lines is None:  # no extra breaks (checked): rows are the "\n" pieces
                        lines = text.split("\n")
                    full = sum(1 for line in lines[start - 1 : row] if line.strip())
                    empty = row - start + 1 - full
                if not sig:
                    if chunk_comments:
                        single += 1
                    blank += empty if chunk_comments else full + empty
                elif sig == 1:
                    if start == row:
                        single += 1
                    else:
                        multi += full
                    blank += empty
                else:
                    sloc += full
                    blank += empty
                    code_lines.append(start)
            if sig:
                lloc += 2 if colon == 1 else 1
            next_row = row = row + 1
            start = sig = chunk_comments = 0
            colon = -1
            countdown -= 1
            if not countdown:
                countdown = _CHECK_EVERY
                if check is not None:
                    check()
            continue
        if char == "#":
            if not start:
                start = row
            chunk_comments += 1
            comments += 1
            newline = text.find("\n", at)
            pos = newline if newline >= 0 else size
            continue
        if char == "\\":  # a backslash outside strings joins the next row
            if text.startswith("\n", at + 1):
                pos = at + 2
            elif text.startswith("\r\n", at + 1):
                pos = at + 3
            else:
                raise _Unsure
            row += 1
            continue
        quote = char * 3 if text.startswith(char * 3, at) else char
        end = _STRING_END[quote].match(text, at + len(quote))
        if end is None:
            raise _Unsure
        if not start:
            start = row
        prefix = text[code_end:at]
        if prefix and not _TEMPLATE_OR_FORMAT.isdisjoint(prefix):
            if "t" in prefix or "T" in prefix:
                raise _Unsure  # a template string (3.14): tokens of its own
            if _fstring_has_colon(text[at + len(quote) : end.end() - len(quote)]) or colon == 0:
                colon = 1
            sig = 2  # an f-string is several tokens, never a lone string
        else:
            sig = 2 if sig else 1
            if colon == 0:
                colon = 1
        row += text.count("\n", at, end.end())
        pos = end.end()
    if start or sig or depth:
        raise _Unsure  # source that ends in the middle of a line: the tokenizer's end rules
    total_rows = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
    if total_rows >= next_row:
        blank += total_rows - next_row + 1
    return RawLines(
        loc=sloc + blank + multi + single,
        sloc=sloc,
        lloc=lloc,
        comments=comments,
        multi=multi,
        blank=blank,
        single_comments=single,
        code_lines=tuple(code_lines),
    )


def _from_tokens(text: str, check: Callable[[], None] | None = None) -> RawLines:
    """radon.raw.analyze's figures for `text`, from one tokenization."""
    lines = _Lines(text)
    code_lines: list[int] = []
    lloc = comments = single = multi = blank = sloc = 0
    next_row = 1
    start = 0  # first row of the open chunk, 0 when none
    sig = 0  # significant tokens in the chunk
    first_type = 0
    chunk_comments = 0
    k = 0  # tokens in the current `;`-separated part
    colon = -1  # index of that part's last ':' token
    op, nl, comment, skipped = _OP, _NL, _COMMENT, _SKIPPED
    breaks = (_NEWLINE, _NL)
    tokens = _tokens(text)
    tok: Any = None
    while True:  # _CHECK_EVERY tokens per round, then `check`
        before = tok
        for tok in islice(tokens, _CHECK_EVERY):
            ttype = tok[0]
            if ttype == op:  # the commonest token (41% of Django's), then NAME (32%)
                if not start:
                    start = tok[2][0]
                sig += 1
                if sig == 1:
                    first_type = op
                s = tok[1]
                if s == ":":
                    colon = k
                elif s == ";":
                    if colon >= 0:
                        lloc += 2 - (colon == k - 2)
                    elif k:
                        lloc += 1
                    k = 0
                    colon = -1
                    continue
                k += 1
                continue
            if ttype in breaks:
                if sig and ttype == nl:
                    continue  # a line break inside brackets
                end = tok[2][0]
                if not start:
                    start = end
                if start > next_row:
                    b = lines.count(next_row, start - 1)
                    blank += b[0] + b[1]
                full, empty = lines.count(start, end)
                if not sig:
                    if chunk_comments:
                        single += 1
                        blank += empty
                    else:
                        blank += full + empty
                elif sig == 1 and first_type == _STRING:
                    if start == end:
                        single += 1
                        blank += empty
                    else:
                        multi += full
                        blank += empty
                else:
                    sloc += full
                    blank += empty
                    code_lines.append(start)
                if colon >= 0:
                    lloc += 2 - (colon == k - 1)
                elif k:
                    lloc += 1
                next_row = end + 1
                start = sig = chunk_comments = k = 0
                colon = -1
                continue
            if ttype in skipped:
                continue
            if not start:
                start = tok[2][0]
            if ttype == comment:
                chunk_comments += 1
                comments += 1
                continue
            sig += 1
            if sig == 1:
                first_type = ttype
            k += 1
        if tok is before:  # the round read nothing: the tokens are done
            break
        if check is not None:
            check()
    total_rows = len(lines.lines)
    if total_rows >= next_row:
        b = lines.count(next_row, total_rows)
        blank += b[0] + b[1]
    loc = sloc + blank + multi + single
    return RawLines(
        loc=loc,
        sloc=sloc,
        lloc=lloc,
        comments=comments,
        multi=multi,
        blank=blank,
        single_comments=single,
        code_lines=tuple(code_lines),
    )
