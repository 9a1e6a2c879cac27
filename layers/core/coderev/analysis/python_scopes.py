"""The scopes the one-pass walk opens (module, classes, functions) and what they add up to.

Holds radon's rule for the file's total complexity (see coderev.analysis.python_metrics), how
a function's length and parameters are counted, and the abstract-class test.

- Length: logical lines of code between the `def` line and the function's last line, counted
  from the tokenizer's logical lines (coderev.analysis.raw_lines `code_lines`), so docstrings,
  other string-only statements, comments and blank lines never make a function "long".
- Parameters: what a caller passes. A method's or classmethod's first parameter is bound
  (whatever its name), so it is not counted; a staticmethod's is, and so is a plain function's
  first parameter even when it is called `self`. `__new__` is an implicit staticmethod whose
  first parameter is still the class the call supplies, so it is not counted either.
- Abstract classes: an `abc.ABC` or `typing.Protocol` base (through the module's own imports:
  `asyncio.Protocol` is not one), an `ABCMeta` metaclass, an `@abstractmethod`, or a method
  that only raises NotImplementedError (a docstring aside; dunder methods excepted, as they
  raise it to refuse an operator). The last is an abstract method by convention: Django's
  `BaseDatabaseWrapper` and `BaseCache` declare theirs that way.
"""

from __future__ import annotations

import ast
import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from coderev.domain.code import ClassInfo, RawImport
from coderev.domain.metrics import FunctionMetrics

MODULE, FUNCTION, CLASS = 0, 1, 2

_ABSTRACT_BASES = frozenset({"abc.ABC", "typing.Protocol", "typing_extensions.Protocol"})
_ABSTRACT_METACLASSES = frozenset({"abc.ABCMeta"})
# Modules whose names, imported under any alias, resolve the bases above.
_ABSTRACT_MODULES = frozenset({"abc", "typing", "typing_extensions"})
_ABSTRACT_DECORATORS = frozenset(
    {"abstractmethod", "abstractproperty", "abstractclassmethod", "abstractstaticmethod"}
)


class Scope:
    __slots__ = ("abstract", "depth", "kind", "name", "node", "parent", "points", "qualname")

    def __init__(
        self, kind: int, name: str, qualname: str, parent: Scope | None, node: ast.AST | None
    ) -> None:
        self.kind = kind
        self.name = name
        self.qualname = qualname
        self.parent = parent
        self.node = node
        self.points = 0
        self.depth = 0
        self.abstract = False


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    """What the walk learnt about one module."""

    functions: tuple[FunctionMetrics, ...]
    classes: tuple[ClassInfo, ...]
    imports: tuple[RawImport, ...]
    total_complexity: int
    halstead_volume: float


def dotted(node: ast.expr) -> str:
    """`a.b.c` for a Name/Attribute chain, the unparsed text otherwise."""
    parts: list[str] = []
    cur: ast.expr = node
    while isinstance(cur, ast.Attribute):
        parts.append(cur.attr)
        cur = cur.value
    if isinstance(cur, ast.Name):
        parts.append(cur.id)
        return ".".join(reversed(parts))
    return ast.unparse(node)


def abstract_aliases(tree: ast.Module) -> dict[str, str]:
    """Local names the module binds to `abc`, `typing`, `typing_extensions` or their members,
    from its top-level imports (also inside a top-level `if` or `try`): {"t": "typing",
    "P": "typing.Protocol", ...}."""
    aliases: dict[str, str] = {}
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in _ABSTRACT_MODULES:
                    aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module in _ABSTRACT_MODULES:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.If | ast.Try):
            pending.extend(node.body)
            pending.extend(node.orelse)
            if isinstance(node, ast.Try):
                pending.extend(node.finalbody)
                for handler in node.handlers:
                    pending.extend(handler.body)
    return aliases


def _resolved(name: str, aliases: Mapping[str, str]) -> str:
    """`name` (dotted, maybe subscripted) with its first component resolved through `aliases`;
    a bare `ABC`, `Protocol` or `ABCMeta` no import explains (a star import) is taken at its
    word."""
    name = name.split("[", 1)[0]
    head, dot, rest = name.partition(".")
    if head in aliases:
        return aliases[head] + dot + rest
    return {"ABC": "abc.ABC", "Protocol": "typing.Protocol", "ABCMeta": "abc.ABCMeta"}.get(
        name, name
    )


def _is_abstract_class(
    node: ast.ClassDef, bases: tuple[str, ...], aliases: Mapping[str, str]
) -> bool:
    if any(_resolved(base, aliases) in _ABSTRACT_BASES for base in bases):
        return True
    return any(
        kw.arg == "metaclass" and _resolved(dotted(kw.value), aliases) in _ABSTRACT_METACLASSES
        for kw in node.keywords
    )


def raises_not_implemented(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether the body, a docstring aside, is only `raise NotImplementedError[(...)]` and the
    method is not a dunder (those raise it to refuse an operator, not to be overridden)."""
    name = node.name
    if name.startswith("__") and name.endswith("__"):
        return False
    body = node.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    if len(body) != 1 or not isinstance(body[0], ast.Raise):
        return False
    exc = body[0].exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return exc is not None and dotted(exc).rsplit(".", 1)[-1] == "NotImplementedError"


def is_abstract_method(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in node.decorator_list:
        name = (
            deco.id
            if isinstance(deco, ast.Name)
            else deco.attr
            if isinstance(deco, ast.Attribute)
            else ""
        )
        if name in _ABSTRACT_DECORATORS:
            return True
    return False


def _bound_first(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> bool:
    """Whether the first positional parameter is bound by the call (self, cls), not passed."""
    if not is_method or not (node.args.posonlyargs or node.args.args):
        return False
    if node.name == "__new__":
        return True
    return not any(
        isinstance(d, ast.Name | ast.Attribute) and dotted(d).rsplit(".", 1)[-1] == "staticmethod"
        for d in node.decorator_list
    )


def parameters(node: ast.FunctionDef | ast.AsyncFunctionDef, is_method: bool) -> tuple[int, int]:
    """(parameters a caller passes, those of them with a default that may go by position)."""
    args = node.args
    positional = len(args.posonlyargs) + len(args.args)
    total = positional + len(args.kwonlyargs) + (args.vararg is not None)
    total += args.kwarg is not None
    bound = _bound_first(node, is_method)
    optional = min(len(args.defaults), positional - bound)
    return total - bound, optional


def logical_lines(code_lines: Sequence[int], first: int, last: int) -> int:
    """How many of the ascending `code_lines` (logical lines' first rows) lie in first..last."""
    return bisect_right(code_lines, last) - bisect_left(code_lines, first)


FLATTENING_FROM = 4  # nesting depth from which guard-clause flattening is worked out


def _flattened(
    node: ast.FunctionDef | ast.AsyncFunctionDef, depth: int
) -> tuple[int | None, tuple[int, ...]]:
    """(nesting once guard clauses replace what they can, their `if` lines) for a function
    nested at least FLATTENING_FROM deep; (None, ()) otherwise (not worth the walk)."""
    if depth < FLATTENING_FROM:
        return None, ()
    from coderev.analysis.guard_clauses import flattening

    result = flattening(node)
    return max(depth - result.saved, 0), result.guard_lines


def build_facts(
    module: Scope,
    scopes: list[Scope],
    classes: list[tuple[Scope, ast.ClassDef, tuple[str, ...]]],
    imports: list[RawImport],
    h1: int,
    h2: int,
    length: int,
    code_lines: Sequence[int],
    aliases: Mapping[str, str],
) -> ModuleFacts:
    total = 1 + module.points
    functions: list[FunctionMetrics] = []
    for s in scopes:
        parent = s.parent
        assert parent is not None
        if parent is module:
            total += s.points
        elif s.kind == FUNCTION and parent.kind == CLASS and parent.parent is module:
            total += 1 + s.points
        if s.kind != FUNCTION:
            continue
        node = s.node
        assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        end = node.end_lineno or node.lineno
        is_method = parent.kind == CLASS
        passed, optional = parameters(node, is_method)
        flat, guards = _flattened(node, s.depth)
        functions.append(
            FunctionMetrics(
                name=s.name,
                qualname=s.qualname,
                line=node.lineno,
                end_line=end,
                complexity=1 + s.points,
                length=logical_lines(code_lines, node.lineno, end),
                parameters=passed,
                nesting=s.depth,
                is_method=is_method,
                optional_positional=optional,
                flat_nesting=flat,
                guard_lines=guards,
            )
        )
    infos = tuple(
        ClassInfo(
            name=s.name,
            qualname=s.qualname,
            line=node.lineno,
            bases=bases,
            is_abstract=s.abstract or _is_abstract_class(node, bases, aliases),
        )
        for s, node, bases in classes
    )
    vocabulary = h1 + h2
    volume = length * math.log(vocabulary, 2) if vocabulary else 0.0
    functions.sort(key=lambda f: (f.line, f.qualname))
    return ModuleFacts(
        functions=tuple(functions),
        classes=tuple(sorted(infos, key=lambda c: (c.line, c.qualname))),
        imports=tuple(sorted(imports, key=lambda i: i.line)),
        total_complexity=total,
        halstead_volume=volume,
    )
