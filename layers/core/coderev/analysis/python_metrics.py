"""One pass over a parsed Python module: complexity, Halstead volume, functions, classes, imports.

Everything per-node is learnt in a single iterative walk (an explicit work list, so a deeply
nested expression cannot overflow the interpreter stack) with dispatch on the node's type
through small dicts, and without visiting the `ctx`/operator leaves nobody reads.

Complexity follows radon 6.0.1's ComplexityVisitor exactly, quirks included, so figures agree
with `radon cc`:
* +1 for each `if`/`elif`, conditional expression, `for`/`async for`/`while` (+1 more with an
  `else`), comprehension clause (+1 per `if` in it), `assert`, `case` (a final catch-all
  `case _:` is free), each `except` (+1 more for `try ... else`), and each extra operand of
  `and`/`or`. `with` and `except*` count nothing.
* a function's figure is 1 + the points of its body; decorators, defaults and annotations are
  never looked at, nor is anything inside an `assert` statement; nested functions and classes
  keep their own figures and add nothing to the enclosing one;
* the file total (used by the maintainability index) is radon's `total_complexity`: 1 + module
  points + (c - 1) per top-level function + per top-level class its own points and the full
  figure of each method. Functions nested in functions and classes nested in anything are
  left out of the total, as radon leaves them out.

Measured: every function's and closure's figure equals radon's on the stdlib's json, email
and asyncio, jinja2, rich and Django's `django/` package (over 10,000 functions), and the
maintainability index built from these figures is radon's on every one of those files.

Halstead counts follow radon's HalsteadVisitor: operators of BinOp, UnaryOp, BoolOp, AugAssign
and Compare; an operand is a name's id, an attribute's name, a constant's value, or else the
node itself (each such expression a distinct operand); distinct operands are kept per
enclosing function *name*; function headers are skipped, class headers are not.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import Any

from coderev.analysis.import_kinds import guarded_branches, import_kind, type_checking_names
from coderev.analysis.python_scopes import (
    CLASS,
    FUNCTION,
    MODULE,
    ModuleFacts,
    Scope,
    abstract_aliases,
    build_facts,
    dotted,
    is_abstract_method,
    raises_not_implemented,
)
from coderev.domain.architecture import ImportKind
from coderev.domain.code import RawImport

_CHECK_EVERY = 2048

# Fields that never hold a node anybody here reads (names, flags, ctx and operator leaves).
_LEAF_FIELDS = frozenset(
    {
        "ctx", "op", "ops", "id", "attr", "name", "arg", "module", "level", "kind",
        "conversion", "is_async", "type_comment", "names", "type_ignores", "kwd_attrs",
        "rest", "simple", "tag", "lineno", "asname",
    }
)  # fmt: skip


def _child_fields() -> dict[type, tuple[str, ...]]:
    table: dict[type, tuple[str, ...]] = {}
    for value in vars(ast).values():
        if isinstance(value, type) and issubclass(value, ast.AST) and value._fields is not None:
            table[value] = tuple(f for f in value._fields if f not in _LEAF_FIELDS)
    table[ast.Constant] = ()
    table[ast.MatchSingleton] = ()  # its value is None/True/False, not a node
    return table


_FIELDS = _child_fields()


def _operand(node: Any) -> object:
    t = type(node)
    if t is ast.Name:
        return node.id
    if t is ast.Attribute:
        return node.attr
    if t is ast.Constant:
        return node.value
    return node


# Dispatch codes; 0 (absent) means "just walk the children".
_HALSTEAD, _IF, _IFEXP, _LOOP, _TRY, _TRYSTAR, _WITH, _COMPREHENSION, _MATCH, _ASSERT = range(1, 11)
_DEF, _CLASSDEF, _IMPORT, _IMPORTFROM = range(11, 15)
_CODES: dict[type, int] = {
    ast.BinOp: _HALSTEAD, ast.UnaryOp: _HALSTEAD, ast.BoolOp: _HALSTEAD, ast.AugAssign: _HALSTEAD,
    ast.Compare: _HALSTEAD, ast.If: _IF, ast.IfExp: _IFEXP, ast.For: _LOOP, ast.AsyncFor: _LOOP,
    ast.While: _LOOP, ast.Try: _TRY, ast.TryStar: _TRYSTAR, ast.With: _WITH, ast.AsyncWith: _WITH,
    ast.comprehension: _COMPREHENSION, ast.Match: _MATCH, ast.Assert: _ASSERT,
    ast.FunctionDef: _DEF, ast.AsyncFunctionDef: _DEF, ast.ClassDef: _CLASSDEF,
    ast.Import: _IMPORT, ast.ImportFrom: _IMPORTFROM,
}  # fmt: skip
# No code and no child anybody reads (Name, Constant, pass, ...): nothing to do. A node of the
# walk in two is a Name or a Constant: skipping them before the budget count and the field
# lookup saved 7% of `collect` on Django.
_LEAF = -1
_CODES.update({t: _LEAF for t, f in _FIELDS.items() if not f and t not in _CODES})

# (nodes, scope, halstead context, counts-for-complexity, import guard, block depth); the guard
# is IMPORT_TIME outside any guard, DEFERRED under `if __name__ == "__main__":`, TYPE_CHECKING
# under `if TYPE_CHECKING:` (see coderev.analysis.import_kinds)
_Frame = tuple[list[Any], Scope, str | None, bool, ImportKind, int]


def collect(
    tree: ast.Module, code_lines: Sequence[int], check: Callable[[], None] | None = None
) -> ModuleFacts:
    """Walk `tree` once; `check` runs every few thousand nodes (a budget check that may raise).

    `code_lines` are the first rows of the source's logical lines of code (raw_lines), which
    functions' lengths are counted in.
    """
    module = Scope(MODULE, "", "", None, tree)
    scopes: list[Scope] = []
    classes: list[tuple[Scope, ast.ClassDef, tuple[str, ...]]] = []
    imports: list[RawImport] = []
    ops_seen: set[type] = set()
    operands_seen: set[tuple[str | None, object]] = set()
    n_ops = n_operands = 0
    codes = _CODES
    fields = _FIELDS
    frames: list[_Frame] = [(tree.body, module, None, True, ImportKind.IMPORT_TIME, 0)]
    tc_names = type_checking_names(tree)
    budget = _CHECK_EVERY
    while frames:
        nodes, scope, hctx, cc, guard, depth = frames.pop()
        if depth > scope.depth:
            scope.depth = depth
        work = list(nodes)
        while work:
            node: Any = work.pop()
            t = type(node)
            code = codes.get(t, 0)
            if code < 0:  # _LEAF (not counted in the budget: its parent was)
                continue
            if check is not None:
                budget -= 1
                if not budget:
                    budget = _CHECK_EVERY
                    check()
            if code == 0:
                for f in fields.get(t, ()):
                    v = getattr(node, f)
                    if v is None:
                        continue
                    if v.__class__ is list:
                        work.extend(v)
                    else:
                        work.append(v)
                continue
            if code == _HALSTEAD:
                if t is ast.Compare:
                    n_ops += len(node.ops)
                    ops_seen.update(map(type, node.ops))
                    operands = [*node.comparators, node.left]
                    work.extend(operands)
                elif t is ast.BinOp:
                    n_ops += 1
                    ops_seen.add(type(node.op))
                    operands = [node.left, node.right]
                    work.extend(operands)
                elif t is ast.BoolOp:
                    n_ops += 1
                    ops_seen.add(type(node.op))
                    operands = node.values
                    if cc:
                        scope.points += len(operands) - 1
                    work.extend(operands)
                elif t is ast.UnaryOp:
                    n_ops += 1
                    ops_seen.add(type(node.op))
                    operands = [node.operand]
                    work.extend(operands)
                else:  # AugAssign
                    n_ops += 1
                    ops_seen.add(type(node.op))
                    operands = [node.target, node.value]
                    work.extend(operands)
                n_operands += len(operands)
                for o in operands:
                    operands_seen.add((hctx, _operand(o)))
                continue
            if code == _IFEXP:
                if cc:
                    scope.points += 1
                work.append(node.test)
                work.append(node.body)
                work.append(node.orelse)
                continue
            if code == _COMPREHENSION:
                if cc:
                    scope.points += 1 + len(node.ifs)
                work.append(node.target)
                work.append(node.iter)
                work.extend(node.ifs)
                continue
            if code == _IF:
                if cc:
                    scope.points += 1
                test = node.test
                work.append(test)
                body_guard, else_guard = guarded_branches(test, tc_names, guard)
                frames.append((node.body, scope, hctx, cc, body_guard, depth + 1))
                orelse = node.orelse
                if orelse:
                    first = orelse[0]
                    if (
                        len(orelse) == 1
                        and type(first) is ast.If
                        and first.col_offset == node.col_offset
                    ):
                        # `elif`: no deeper than its `if`
                        if else_guard is not guard:
                            frames.append((orelse, scope, hctx, cc, else_guard, depth))
                        else:
                            work.append(first)
                    else:
                        frames.append((orelse, scope, hctx, cc, else_guard, depth + 1))
                continue
            if code == _LOOP:
                if cc:
                    scope.points += 1 + bool(node.orelse)
                for f in fields[t]:
                    v = getattr(node, f)
                    if v.__class__ is list:
                        if f != "body" and f != "orelse":
                            work.extend(v)
                        elif v:
                            frames.append((v, scope, hctx, cc, guard, depth + 1))
                    elif v is not None:
                        work.append(v)
                continue
            if code in (_TRY, _TRYSTAR):
                if cc and code == _TRY:
                    scope.points += len(node.handlers) + bool(node.orelse)
                for f in ("body", "handlers", "orelse", "finalbody"):
                    v = getattr(node, f)
                    if v:
                        frames.append((v, scope, hctx, cc, guard, depth + 1))
                continue
            if code == _WITH:
                work.extend(node.items)
                frames.append((node.body, scope, hctx, cc, guard, depth + 1))
                continue
            if code == _MATCH:
                cases = node.cases
                if cc:
                    catch_all = any(getattr(c.pattern, "pattern", False) is None for c in cases)
                    scope.points += max(0, len(cases) - catch_all)
                work.append(node.subject)
                frames.append((cases, scope, hctx, cc, guard, depth + 1))
                continue
            if code == _ASSERT:
                if cc:
                    scope.points += 1
                inner = [node.test]
                if node.msg is not None:
                    inner.append(node.msg)
                frames.append((inner, scope, hctx, False, guard, depth))
                continue
            if code == _DEF:
                name = node.name
                qual = f"{scope.qualname}.{name}" if scope.qualname else name
                fn = Scope(FUNCTION, name, qual, scope, node)
                scopes.append(fn)
                if scope.kind == CLASS and (
                    is_abstract_method(node) or raises_not_implemented(node)
                ):
                    scope.abstract = True
                frames.append((node.body, fn, name, True, guard, 0))
                continue
            if code == _CLASSDEF:
                name = node.name
                qual = f"{scope.qualname}.{name}" if scope.qualname else name
                cls = Scope(CLASS, name, qual, scope, node)
                scopes.append(cls)
                bases = tuple(dotted(b) for b in node.bases)
                classes.append((cls, node, bases))
                header = [*node.bases, *node.keywords, *node.decorator_list, *node.type_params]
                if header:
                    frames.append((header, scope, hctx, False, guard, depth))
                frames.append((node.body, cls, hctx, True, guard, 0))
                continue
            kind = import_kind(guard, _in_function(scope))
            if code == _IMPORT:
                for alias in node.names:
                    imports.append(RawImport(alias.name, (), 0, node.lineno, False, kind))
                continue
            # _IMPORTFROM
            imports.append(
                RawImport(
                    node.module or "",
                    tuple(a.name for a in node.names),
                    node.level,
                    node.lineno,
                    True,
                    kind,
                )
            )
    return build_facts(
        module,
        scopes,
        classes,
        imports,
        len(ops_seen),
        len(operands_seen),
        n_ops + n_operands,
        code_lines,
        abstract_aliases(tree) if classes else {},
    )


def _in_function(scope: Scope | None) -> bool:
    """True inside a function body (a class nested in a function included)."""
    while scope is not None:
        if scope.kind == FUNCTION:
            return True
        scope = scope.parent
    return False
