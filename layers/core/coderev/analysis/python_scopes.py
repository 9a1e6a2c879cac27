"""The scopes the one-pass walk opens (module, classes, functions) and what they add up to.

Holds radon's rule for the file's total complexity (see coderev.analysis.python_metrics) and
the abstract-class test: an ABC/Protocol base, an ABCMeta metaclass, or an @abstractmethod.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from coderev.domain.code import ClassInfo, RawImport
from coderev.domain.metrics import FunctionMetrics

MODULE, FUNCTION, CLASS = 0, 1, 2

_ABSTRACT_BASES = frozenset(
    {"ABC", "abc.ABC", "Protocol", "typing.Protocol", "typing_extensions.Protocol"}
)
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


def _is_abstract_class(node: ast.ClassDef, bases: tuple[str, ...]) -> bool:
    for base in bases:
        if base.split("[", 1)[0] in _ABSTRACT_BASES:
            return True
    return any(
        kw.arg == "metaclass" and dotted(kw.value).rsplit(".", 1)[-1] == "ABCMeta"
        for kw in node.keywords
    )


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


def parameters(args: ast.arguments) -> int:
    return (
        len(args.posonlyargs)
        + len(args.args)
        + len(args.kwonlyargs)
        + (args.vararg is not None)
        + (args.kwarg is not None)
    )


# Dispatch codes; 0 (absent) means "just walk the children".
_HALSTEAD, _IF, _IFEXP, _LOOP, _TRY, _TRYSTAR, _WITH, _COMPREHENSION, _MATCH, _ASSERT = range(1, 11)


def build_facts(
    module: Scope,
    scopes: list[Scope],
    classes: list[tuple[Scope, ast.ClassDef, tuple[str, ...]]],
    imports: list[RawImport],
    h1: int,
    h2: int,
    length: int,
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
        functions.append(
            FunctionMetrics(
                name=s.name,
                qualname=s.qualname,
                line=node.lineno,
                end_line=end,
                complexity=1 + s.points,
                length=end - node.lineno + 1,
                parameters=parameters(node.args),
                nesting=s.depth,
                is_method=parent.kind == CLASS,
            )
        )
    infos = tuple(
        ClassInfo(
            name=s.name,
            qualname=s.qualname,
            line=node.lineno,
            bases=bases,
            is_abstract=s.abstract or _is_abstract_class(node, bases),
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
