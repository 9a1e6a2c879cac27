"""When an import statement runs: at import time, deferred to a call, or only for type checkers.

The one-pass walk (coderev.analysis.python_metrics) asks this module three things:

- which branches of an `if` run only under type checking. The flag is the name `TYPE_CHECKING`,
  any attribute `<anything>.TYPE_CHECKING` (`typing.`, `t.` for `import typing as t`,
  `typing_extensions.`, a project's `compat.`; grimp accepts the same attribute spellings), and
  any name a module-level `from X import TYPE_CHECKING as TC` binds. Conditions combine by
  logic: `if TYPE_CHECKING and X:` guards its body, `if not TYPE_CHECKING: ... else:` its
  else-branch, `if TYPE_CHECKING or X:` neither (it runs whenever X holds).
- which branch runs only when the module is run as a script: the body of
  `if __name__ == "__main__":` (or the else-branch of `!=`). Imports there never run when the
  module is imported, so they are deferred, like imports inside a function (rich's demo code
  under such guards would otherwise close a 35-module import-time cycle).
- whether a statement sits inside a function body (deferred: it runs when the function is
  called, not when the module is imported). A class body runs at import time; a class inside a
  function does not.

A guard only ever weakens: type-checking inside anything stays type-checking, and a guard
inside a deferred block is at most deferred.

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


def guarded_branches(
    test: ast.expr, names: frozenset[str], guard: ImportKind
) -> tuple[ImportKind, ImportKind]:
    """The guards over an `if`'s body and its else-branch, given the guard over the `if`."""
    if guard is ImportKind.TYPE_CHECKING:
        return guard, guard
    body_tc, else_tc = type_checking_branches(test, names)
    body_main, else_main = _main_branches(test)
    weaker = ImportKind.DEFERRED
    body = ImportKind.TYPE_CHECKING if body_tc else weaker if body_main else guard
    orelse = ImportKind.TYPE_CHECKING if else_tc else weaker if else_main else guard
    return body, orelse


def type_checking_branches(test: ast.expr, names: frozenset[str]) -> tuple[bool, bool]:
    """(the body runs only under type checking, the else-branch runs only under type checking)."""
    return _true_implies_flag(test, names), _false_implies_flag(test, names)


def _main_branches(test: ast.expr) -> tuple[bool, bool]:
    """(the body runs only as a script, the else-branch runs only as a script)."""
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False, False
    left, right = test.left, test.comparators[0]
    if not (_is_name_dunder(left) and _is_main(right)) and not (
        _is_name_dunder(right) and _is_main(left)
    ):
        return False, False
    op = test.ops[0]
    return isinstance(op, ast.Eq), isinstance(op, ast.NotEq)


def _is_name_dunder(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "__name__"


def _is_main(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == "__main__"


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


def import_kind(guard: ImportKind, in_function: bool) -> ImportKind:
    """The kind of an import statement from the guard over it and where it sits."""
    if in_function and guard is ImportKind.IMPORT_TIME:
        return ImportKind.DEFERRED
    return guard
