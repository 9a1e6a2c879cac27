"""Which of a deeply nested function's `if` blocks a guard clause would flatten, and by how much.

The nesting advice ("flatten with guard clauses") is right only where an `if` can be turned
into an early exit without changing what the code does:

- an `if` without `else` in *tail position* (nothing runs after it in the function, or in a
  loop's body, but a bare `return`/`return <constant>`/`continue`): `if cond: BODY` becomes
  `if not cond: return` (or `continue`), and BODY moves up one level;
- an `if`/`else` one branch of which ends in `raise`, `return`, `continue` or `break`: that
  branch becomes the guard, and the other branch moves up one level, wherever the `if` is.

`flattening` walks one function's body (nested functions and classes are measured on their
own) and returns the depth its blocks would have with every such `if` flattened, and the
lines of those `if`s. The depth counts blocks as the metrics visitor does (each if/elif chain,
loop, with, try and match adds one level; `elif` does not): callers use the *difference*
between the plain and flattened depths, so a counting detail shared by both cancels out.

Hand-written: no linter reports where a guard clause applies (ruff's RET505/SIM108 look at
single statements, not at the nesting a block inversion removes). It runs only for functions
whose nesting is past the threshold, so its cost does not show in a review's time.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass

_EXITS = (ast.Raise, ast.Return, ast.Continue, ast.Break)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_BLOCKS = (
    ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.TryStar,
    ast.Match,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Flattening:
    depth: int  # the deepest block as it is
    flat_depth: int  # the deepest block once every invertible `if` is a guard clause
    guard_lines: tuple[int, ...]  # the lines of those `if`s, in source order

    @property
    def saved(self) -> int:
        return self.depth - self.flat_depth


def flattening(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Flattening:
    walker = _Walker()
    depth, flat = walker.block(function.body, 0, 0, "function")
    return Flattening(depth, flat, tuple(sorted(set(walker.lines))))


def _trivial_tail(stmts: Sequence[ast.stmt], tail: str) -> bool:
    """Whether what follows the `if` in its block is nothing, or only the exit its guard
    would take anyway (`return`, `return None`/a constant at function level, `continue` in
    a loop)."""
    if not stmts:
        return True
    if len(stmts) > 1:
        return False
    (only,) = stmts
    if tail == "function":
        return isinstance(only, ast.Return) and (
            only.value is None or isinstance(only.value, ast.Constant)
        )
    return tail == "loop" and isinstance(only, ast.Continue)


def _size(stmts: Sequence[ast.stmt]) -> int:
    if not stmts:
        return 0
    return (stmts[-1].end_lineno or stmts[-1].lineno) - stmts[0].lineno + 1


def _exits(stmts: Sequence[ast.stmt]) -> bool:
    return bool(stmts) and isinstance(stmts[-1], _EXITS)


class _Walker:
    def __init__(self) -> None:
        self.lines: list[int] = []

    def block(
        self, stmts: Sequence[ast.stmt], depth: int, flat: int, tail: str | None
    ) -> tuple[int, int]:
        """(deepest, deepest flattened) of `stmts`, whose own level is `depth`/`flat`.
        `tail`: "function" or "loop" when nothing runs after this block in that scope."""
        deepest, deepest_flat = depth, flat
        for i, stmt in enumerate(stmts):
            rest = stmts[i + 1 :]
            in_tail = tail if tail is not None and _trivial_tail(rest, tail) else None
            d, f = self.statement(stmt, depth, flat, in_tail)
            deepest, deepest_flat = max(deepest, d), max(deepest_flat, f)
        return deepest, deepest_flat

    def statement(self, stmt: ast.stmt, depth: int, flat: int, tail: str | None) -> tuple[int, int]:
        if isinstance(stmt, _SCOPES):
            return depth, flat
        if isinstance(stmt, ast.If):
            return self.if_chain(stmt, depth, flat, tail)
        if isinstance(stmt, ast.For | ast.AsyncFor | ast.While):
            d, f = self.block(stmt.body, depth + 1, flat + 1, "loop")
            d2, f2 = self.block(stmt.orelse, depth + 1, flat + 1, None)
            return max(d, d2), max(f, f2)
        if isinstance(stmt, ast.With | ast.AsyncWith):
            return self.block(stmt.body, depth + 1, flat + 1, tail)
        if isinstance(stmt, ast.Try | ast.TryStar):
            after = None if stmt.orelse else tail
            results = [self.block(stmt.body, depth + 1, flat + 1, after)]
            results += [self.block(h.body, depth + 1, flat + 1, tail) for h in stmt.handlers]
            results.append(self.block(stmt.orelse, depth + 1, flat + 1, tail))
            results.append(self.block(stmt.finalbody, depth + 1, flat + 1, None))
            return max(r[0] for r in results), max(r[1] for r in results)
        if isinstance(stmt, ast.Match):
            results = [self.block(c.body, depth + 1, flat + 1, tail) for c in stmt.cases]
            return max(r[0] for r in results), max(r[1] for r in results)
        return depth, flat

    def if_chain(self, stmt: ast.If, depth: int, flat: int, tail: str | None) -> tuple[int, int]:
        """An if/elif/else chain: one level for the whole chain, as the metrics count it."""
        branches: list[Sequence[ast.stmt]] = [stmt.body]
        node = stmt
        while len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If):
            node = node.orelse[0]
            branches.append(node.body)
        has_else = bool(node.orelse)
        if has_else:
            branches.append(node.orelse)
        guard = None  # the branch that moves up a level once the `if` is inverted
        if len(branches) == 1 and tail is not None:
            guard = 0
        elif len(branches) == 2 and has_else:
            # The exiting branch becomes the guard; the other moves up. When both exit, the
            # shorter one is the guard.
            exits = [_exits(b) for b in branches]
            if exits[0] and exits[1]:
                guard = 0 if _size(branches[0]) >= _size(branches[1]) else 1
            elif exits[1]:
                guard = 0
            elif exits[0]:
                guard = 1
        if guard is not None and not any(isinstance(s, _BLOCKS) for s in branches[guard]):
            guard = None  # inverting an `if` around plain statements is not worth advising
        if guard is not None:
            self.lines.append(stmt.lineno)
        deepest, deepest_flat = depth, flat
        for i, body in enumerate(branches):
            f_level = flat if i == guard else flat + 1
            d, f = self.block(body, depth + 1, f_level, tail)
            deepest, deepest_flat = max(deepest, d), max(deepest_flat, f)
        return deepest, deepest_flat
