"""When an import statement runs: at import time, deferred to a call, or only for type checkers.

The one-pass walk (coderev.analysis.python_metrics) asks this module two things:

- which branches of an `if` run only under type checking. The flag is the name `TYPE_CHECKING`,
  any attribute `<anything>.TYPE_CHECKING` (`typing.`, `t.` for `import typing as t`,
  `typing_extensions.`, a project's `compat.`; grimp accepts the same attribute spellings), and
  any name a module-level `from X import TYPE_CHECKING as TC` binds. Conditions combine by
  logic: `if TYPE_CHECKING and X:` guards its body, `if not TYPE_CHECKING: ... else:` its
  else-branch, `if TYPE_CHECKING or X:` neither (it runs whenever X holds).
- whether a statement sits inside a function body (deferred: it runs when the function is
  called, not when the module is imported). A class body runs at import time; a class inside a
  function does not.

No library answers these for an AST already walked, so they are written here; the rules are
small and tested one by one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from coderev.domain.architecture import ImportKind

FLAG = "TYPE_CHECKING"


def type_checking_names(tree: ast.Module) -> frozenset[str]:
    """`TYPE_CHECKING` and every alias a module-level `from ... import TYPE_CHECKING as X` binds.

    Looks at top-level statements and the bodies of top-level `if`/`try` blocks only: that is
    where such imports live, and it keeps the scan a small fraction of the full walk.
    """
    names = {FLAG}
    for node in _top_level(tree.body):
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.name == FLAG and a.asname)
    return frozenset(names)


def _top_level(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from node.body
            yield from node.orelse
        elif isinstance(node, ast.Try | ast.TryStar):
            yield from node.body
            for handler in node.handlers:
                yield from handler.body
            yield from node.orelse


def type_checking_branches(test: ast.expr, names: frozenset[str]) -> tuple[bool, bool]:
    """(the body runs only under type checking, the else-branch runs only under type checking)."""
    return _true_implies_flag(test, names), _false_implies_flag(test, names)


def _is_flag(node: ast.expr, names: frozenset[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in names
    return isinstance(node, ast.Attribute) and node.attr == FLAG


def _true_implies_flag(node: ast.expr, names: frozenset[str]) -> bool:
    if isinstance(node, ast.Name | ast.Attribute):
        return _is_flag(node, names)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _false_implies_flag(node.operand, names)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return any(_true_implies_flag(v, names) for v in node.values)
        return all(_true_implies_flag(v, names) for v in node.values)
    return False


def _false_implies_flag(node: ast.expr, names: frozenset[str]) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _true_implies_flag(node.operand, names)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_false_implies_flag(v, names) for v in node.values)
        return any(_false_implies_flag(v, names) for v in node.values)
    return False


def import_kind(type_checking: bool, in_function: bool) -> ImportKind:
    """The kind of an import statement from where it sits."""
    if type_checking:
        return ImportKind.TYPE_CHECKING
    return ImportKind.DEFERRED if in_function else ImportKind.IMPORT_TIME
