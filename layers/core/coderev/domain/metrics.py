"""Per-file and per-function code metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from coderev.domain.pickling import pickled_by_fields
from coderev.domain.roles import FileRole


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    """Metrics of one function or method (radon-compatible cyclomatic complexity)."""

    name: str
    qualname: str  # e.g. "Cart.total" or "outer.<locals>.inner" style: "outer.inner"
    line: int
    end_line: int
    complexity: int
    # Logical lines of code from the `def` line to end_line (Python's logical lines: a statement
    # continued over several physical lines is one); docstrings and other string-only lines,
    # comments and blank lines are not counted. Decorators are outside, nested functions inside.
    length: int
    # Parameters a caller passes: every one, *args and **kwargs included, but not the `self` or
    # `cls` a method or classmethod is bound to (a staticmethod's first parameter counts).
    parameters: int
    nesting: int  # deepest block nesting inside the body (if/for/while/with/try/match)
    is_method: bool = False
    # Parameters with a default that a caller may still pass by position (not keyword-only).
    optional_positional: int = 0
    # For a function nested deeper than FLATTENING_FROM: the nesting once every `if` a guard
    # clause can replace is one (coderev.analysis.guard_clauses), and those `if`s' lines.
    # None when not computed.
    flat_nesting: int | None = None
    guard_lines: tuple[int, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class FileMetrics:
    """Line counts (radon's raw definitions) and maintainability index of one file."""

    loc: int  # physical lines
    sloc: int  # source lines: non-blank, not comment-only, not docstring
    lloc: int  # logical lines
    comments: int  # lines holding a comment
    multi: int  # lines of multi-line strings (docstrings)
    blank: int
    maintainability_index: float  # 0..100, radon's formula (multi-line strings count as comments)
    complexity: int  # total cyclomatic complexity of the file (radon total)
    functions: tuple[FunctionMetrics, ...] = field(default=())


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class SourceFileInfo:
    """A file as the report lists it."""

    path: str
    language: str
    size: int
    metrics: FileMetrics | None  # None for languages without metrics yet
    role: FileRole = FileRole.SOURCE
