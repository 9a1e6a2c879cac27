"""Where a guard clause flattens a deeply nested function, and where the nesting is structural."""

from __future__ import annotations

import ast
import textwrap

from coderev.analysis.guard_clauses import flattening
from coderev.analysis.python_file import analyze_python_file
from coderev.domain.config import Thresholds


def _flat(code: str):
    tree = ast.parse(textwrap.dedent(code))
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef)
    return flattening(fn)


WRAPPED_BODY = """
def hook(item):
    backend = item.get("backend")
    if backend:
        name = backend.name
        if item.is_coroutine:
            with runner(name) as r:
                for case in item.cases:
                    if case.ready:
                        r.run(case)
            return True
    return None
"""


def test_an_if_wrapping_the_rest_of_the_function_is_a_guard_clause() -> None:
    result = _flat(WRAPPED_BODY)
    # `if backend:` (line 4) and `if item.is_coroutine:` (line 6) both end the function:
    # `if not backend: return None` moves everything up a level, and so does the second.
    assert result.guard_lines == (4, 6)
    assert result.saved == 2


def test_an_else_that_raises_becomes_the_guard_and_the_long_branch_moves_up() -> None:
    result = _flat(
        """
        def load(path):
            if path:
                out = []
                with open(path) as fh:
                    for line in fh:
                        if line.startswith("import"):
                            out.append(line)
                return out
            else:
                raise FileNotFoundError(path)
        """
    )
    assert result.guard_lines == (3,)
    assert result.saved == 1


def test_nesting_made_of_loops_try_and_with_is_not_flattened() -> None:
    result = _flat(
        """
        def worker(stream):
            while True:
                try:
                    command = stream.read()
                except EOFError:
                    return
                else:
                    if command == "run":
                        try:
                            with lock:
                                run()
                        except Exception as exc:
                            report(exc)
                stream.flush()
        """
    )
    # `if command == "run"` is followed by more work in the loop: no early exit can replace it.
    assert result.guard_lines == ()
    assert result.saved == 0


def test_inverting_an_if_around_plain_statements_is_not_advised() -> None:
    result = _flat(
        """
        def tail(items):
            for item in items:
                with item:
                    if item.ok:
                        item.done = True
        """
    )
    assert result == result.__class__(result.depth, result.depth, ())


def test_the_nesting_finding_names_the_ifs_and_the_depth_they_leave() -> None:
    result = analyze_python_file("m.py", WRAPPED_BODY.encode(), Thresholds(max_nesting=3))
    assert result.metrics is not None
    [fn] = result.metrics.functions
    assert fn.guard_lines == (4, 6)
    assert fn.flat_nesting is not None and fn.flat_nesting == fn.nesting - 2
    [nesting] = [f for f in result.findings if f.rule_id == "CR-MET-004"]
    assert nesting.extra["flat_nesting"] == str(fn.flat_nesting)
    assert "lines 4, 6" in nesting.fix_hint and "guard clauses" in nesting.fix_hint


def test_shallow_functions_are_not_walked() -> None:
    result = analyze_python_file("m.py", b"def f(x):\n    if x:\n        return 1\n", Thresholds())
    assert result.metrics is not None
    assert result.metrics.functions[0].flat_nesting is None
