"""analyze_python_file: what one parse yields, and how broken or hostile files are reported."""

from __future__ import annotations

import ast
import signal
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.architecture import ImportKind
from coderev.domain.code import FileAnalysis, RawImport
from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Severity


def analyze(source: str, budget: float = 10.0, **thresholds: int) -> FileAnalysis:
    data = textwrap.dedent(source).encode()
    return analyze_python_file("pkg/mod.py", data, Thresholds(**thresholds), budget)


def test_functions_get_complexity_length_parameters_and_nesting() -> None:
    result = analyze(
        """
        class Cart:
            def total(self, items, *, discount=0, **kw):
                total = 0
                for item in items:
                    if item.price > 0 and item.qty:
                        with open("x") as fh:
                            total += item.price
                return total

        def outer(a):
            def inner(b):
                return b if b else a
            return inner
        """
    )
    assert result.error is None and result.metrics is not None
    fns = {f.qualname: f for f in result.metrics.functions}
    total = fns["Cart.total"]
    # for +1, if +1, `and` +1 (with counts nothing, as in radon)
    # self is bound, not passed: items, discount and **kw are the parameters
    assert (total.complexity, total.parameters, total.nesting, total.is_method) == (4, 3, 3, True)
    assert total.length == total.end_line - total.line + 1 == 7  # every line is code
    assert fns["outer"].complexity == 1  # the closure's branch is its own
    assert fns["outer.inner"].complexity == 2 and not fns["outer.inner"].is_method


def test_elif_chain_is_not_deeper_nesting_but_else_if_is() -> None:
    result = analyze(
        """
        def f(x):
            if x == 1:
                return 1
            elif x == 2:
                return 2
            elif x == 3:
                return 3

        def g(x):
            if x:
                pass
            else:
                if x is None:
                    pass
        """
    )
    assert result.metrics is not None
    fns = {f.name: f for f in result.metrics.functions}
    assert (fns["f"].nesting, fns["f"].complexity) == (1, 4)
    assert fns["g"].nesting == 2


def test_raw_line_counts_follow_radon_definitions() -> None:
    result = analyze(
        '''\
        """Module docstring
        spanning two lines."""
        import os  # why os


        def f(x): return x  # one line, two logical lines
        '''
    )
    m = result.metrics
    assert m is not None
    assert (m.loc, m.sloc, m.multi, m.blank, m.comments) == (6, 2, 2, 2, 2)
    assert m.lloc == 4  # docstring (1) + import (1) + `def f(x): return x` (2)


def test_imports_record_level_names_and_type_checking() -> None:
    result = analyze(
        """
        from __future__ import annotations
        import os.path as p, sys
        from typing import TYPE_CHECKING
        import typing
        from .. import sibling
        from .models import *

        if TYPE_CHECKING:
            from collections.abc import Sequence
        if typing.TYPE_CHECKING:
            import decimal

        def lazy():
            if TYPE_CHECKING:
                from pkg import hidden
            import json
        """
    )
    imports = {(i.module, i.names): i for i in result.imports}
    assert imports[("os.path", ())] == RawImport("os.path", (), 0, 3, False)
    assert ("sys", ()) in imports
    assert imports[("", ("sibling",))].level == 2
    assert imports[("models", ("*",))] == RawImport("models", ("*",), 1, 7, True)
    assert imports[("collections.abc", ("Sequence",))].type_checking
    assert imports[("decimal", ())].type_checking
    assert imports[("pkg", ("hidden",))].type_checking
    assert imports[("json", ())].kind is ImportKind.DEFERRED
    assert [i.line for i in result.imports] == sorted(i.line for i in result.imports)


def test_abstract_classes_are_detected_by_base_metaclass_or_abstractmethod() -> None:
    result = analyze(
        """
        import abc
        from typing import Protocol

        class A(abc.ABC): pass
        class B(Protocol): pass
        class C(metaclass=abc.ABCMeta): pass
        class D:
            @abc.abstractmethod
            def run(self): ...
        class E(A, dict): pass
        class Outer:
            class Inner(Protocol[int]): pass
        """
    )
    classes = {c.qualname: c for c in result.classes}
    assert {q for q, c in classes.items() if c.is_abstract} == {"A", "B", "C", "D", "Outer.Inner"}
    assert classes["E"].bases == ("A", "dict")
    assert classes["A"].bases == ("abc.ABC",)
    assert classes["Outer.Inner"].line == 13


def test_threshold_findings_are_part_of_the_analysis() -> None:
    body = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(12))
    result = analyze(f"def route(x):\n{body}\n")
    rules = [f.rule_id for f in result.findings]
    assert rules == ["CR-MET-001"]
    assert "route" in result.findings[0].message


def test_syntax_error_is_a_high_bug_risk_finding_with_its_line() -> None:
    result = analyze("x = 1\n\ndef broken(:\n    pass\n")
    assert result.error is not None and result.metrics is None
    (finding,) = result.findings
    assert (finding.rule_id, finding.severity, finding.category) == (
        "CR-PARSE-001", Severity.HIGH, Category.BUG_RISK,
    )  # fmt: skip
    assert finding.line == 3


def test_nul_bytes_and_undeclared_latin1_are_syntax_findings() -> None:
    for data in (b"x = 1\x00\n", "name = 'café'\n".encode("latin-1")):
        result = analyze_python_file("bad.py", data, Thresholds())
        assert result.error is not None
        assert [f.rule_id for f in result.findings] == ["CR-PARSE-001"]


def test_declared_latin1_is_read() -> None:
    data = "# -*- coding: latin-1 -*-\nname = 'café'\n".encode("latin-1")
    result = analyze_python_file("ok.py", data, Thresholds())
    assert result.error is None and result.metrics is not None and result.metrics.sloc == 1


def test_deep_nesting_is_a_finding_not_a_crash() -> None:
    ifs = "".join("    " * i + f"if x{i}:\n" for i in range(200)) + "    " * 200 + "pass\n"
    parens = "x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n"
    for source in (ifs, parens):
        result = analyze_python_file("deep.py", source.encode(), Thresholds())
        assert result.error is not None
        assert [f.rule_id for f in result.findings] == ["CR-PARSE-002"]


def test_operator_chain_the_parser_accepts_is_walked_without_recursion() -> None:
    # 2,500 nested BinOps parse, but overflow a recursive visitor (radon's mi_visit fails here)
    source = "x = " + " + ".join(["a"] * 2_500) + "\n"
    result = analyze_python_file("chain.py", source.encode(), Thresholds())
    assert result.error is None and result.metrics is not None
    assert result.metrics.lloc == 1


def test_operator_chain_too_deep_for_the_parser_is_a_finding() -> None:
    source = "x = " + " + ".join(["a"] * 20_000) + "\n"
    result = analyze_python_file("chain.py", source.encode(), Thresholds())
    assert [f.rule_id for f in result.findings] == ["CR-PARSE-002"]


@pytest.mark.slow
def test_huge_dict_literal_costs_about_one_parse() -> None:
    source = "DATA = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(50_000)) + "}\n"
    data = source.encode()
    # CPU time of this process: other processes' load (a parallel test run) does not count
    start = time.process_time()
    ast.parse(data)
    parse = time.process_time() - start
    start = time.process_time()
    result = analyze_python_file("big.py", data, Thresholds())
    analysis = time.process_time() - start
    assert result.error is None and result.metrics is not None
    assert result.metrics.loc == 50_002 and result.metrics.lloc == 2
    # radon's mi_visit is quadratic here (minutes); ours is a small multiple of one parse
    assert analysis < 4 * parse + 0.5


def test_time_budget_turns_into_a_finding() -> None:
    source = "".join(f"def f{i}(a, b):\n    return a + b if a else b\n" for i in range(4_000))
    result = analyze_python_file("slow.py", source.encode(), Thresholds(), budget_seconds=0.01)
    assert result.error is not None
    assert [f.rule_id for f in result.findings] == ["CR-PARSE-003"]
    assert result.analysis_seconds < 5.0


def test_timings_are_recorded() -> None:
    result = analyze("def f():\n    return 1\n")
    assert 0 < result.parse_seconds <= result.analysis_seconds


@pytest.mark.parametrize("blank_lines", [1, 5])
def test_metric_fingerprints_survive_lines_inserted_above(blank_lines: int) -> None:
    body = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(12))
    source = f"def route(x):\n{body}\n"
    before = analyze(source, max_complexity=5).findings
    after = analyze("\n" * blank_lines + source, max_complexity=5).findings
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert [f.line for f in before] != [f.line for f in after]


def test_time_budget_off_the_main_thread_uses_deadline_checks() -> None:
    source = "".join(f"def f{i}(a, b):\n    return a + b if a else b\n" for i in range(4_000))
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(
            analyze_python_file, "slow.py", source.encode(), Thresholds(), 0.001
        ).result()
    assert [f.rule_id for f in result.findings] == ["CR-PARSE-003"]


def test_time_budget_leaves_no_timer_or_handler_behind() -> None:
    before = signal.getsignal(signal.SIGALRM)
    big = "".join(f"def f{i}(a, b):\n    return a + b if a else b\n" for i in range(4_000))
    assert analyze_python_file("slow.py", big.encode(), Thresholds(), 0.001).error is not None
    assert analyze_python_file("ok.py", big.encode(), Thresholds(), 60.0).error is None
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is before


# Every class of input that overflowed ruff's stack (issue 9), and its neighbours: coderev's own
# visitors (parse, raw lines, metrics, scopes, imports) end each with a result or one
# CR-PARSE finding, never an exception, and within the file's time budget.
PATHOLOGICAL = {
    "brackets": lambda: "x = " + "[" * 10_000 + "]" * 10_000 + "\n",
    "plus_chain": lambda: "x = " + "+".join(["a"] * 100_000) + "\n",
    "attribute_chain": lambda: "x = a" + ".b" * 60_000 + "\n",
    "call_chain": lambda: "x = f" + "()" * 60_000 + "\n",
    "subscript_chain": lambda: "x = a" + "[0]" * 60_000 + "\n",
    "unary_minus": lambda: "x = " + "-" * 50_000 + "1\n",
    "not_chain": lambda: "x = " + "not " * 20_000 + "a\n",
    "if_expression_chain": lambda: "x = " + " if a else ".join(["b"] * 5_000) + "\n",
    "lambda_chain": lambda: "x = " + "lambda: " * 5_000 + "1\n",
    "power_chain": lambda: "x = " + "**".join(["a"] * 50_000) + "\n",
    "and_chain": lambda: "x = " + " and ".join(["a"] * 20_000) + "\n",
    "comparison_chain": lambda: "x = " + " < ".join(["a"] * 20_000) + "\n",
    "nested_functions": lambda: "".join(
        " " * i + f"def f{i}():\n" for i in range(98)
    ) + " " * 98 + "import os\n",
    "nested_classes": lambda: "".join(" " * i + f"class C{i}:\n" for i in range(98))
    + " " * 98 + "from . import x\n",
    "indentation_past_the_limit": lambda: "".join(
        " " * i + "if a:\n" for i in range(120)
    ) + " " * 120 + "pass\n",
    "long_tuple": lambda: "x = " + ",".join(["a"] * 200_000) + "\n",
}
_PARSE_FINDINGS = {"CR-PARSE-001", "CR-PARSE-002", "CR-PARSE-003"}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_pathological_input_is_a_result_or_one_finding_within_budget(name: str) -> None:
    data = PATHOLOGICAL[name]().encode()
    budget = 3.0
    start = time.perf_counter()
    result = analyze_python_file(f"{name}.py", data, Thresholds(), budget_seconds=budget)
    took = time.perf_counter() - start
    if result.error is None:
        assert result.metrics is not None
    else:
        [finding] = result.findings
        assert finding.rule_id in _PARSE_FINDINGS, finding
    # The budget cuts walks short (CR-PARSE-003); what is left is the parse itself, linear
    # in the input: a hang would be minutes, not this generous bound.
    assert took < budget + 20, (name, took)


def test_the_reviewed_codes_syntax_warnings_do_not_reach_the_terminal() -> None:
    """`"\\{"` and `x is 1` make the compiler (and the tokenizer) warn: a line on the user's
    terminal per file, from every worker, before; the file is still analysed whole."""
    import warnings

    source = b'PATTERN = "\\{x\\}"\n\ndef f(x):\n    return x is 1\n'
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analysis = analyze_python_file("pkg/escapes.py", source, Thresholds())
    assert [w for w in caught if issubclass(w.category, SyntaxWarning)] == []
    assert analysis.error is None and analysis.metrics is not None
    assert [f.name for f in analysis.metrics.functions] == ["f"]
    assert warnings.filters == before  # nothing left switched off for coderev itself
