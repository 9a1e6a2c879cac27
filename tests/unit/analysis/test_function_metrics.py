"""Function metrics a reviewer trusts: length without docstrings, parameters without self/cls,
signature advice only where it applies, and which classes count as abstract.

Each test is a false positive seen on real code (issue 7), written as synthetic source.
"""

from __future__ import annotations

import textwrap

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.code import FileAnalysis
from coderev.domain.config import Thresholds
from coderev.domain.metrics import FunctionMetrics


def analyze(source: str, **thresholds: int) -> FileAnalysis:
    data = textwrap.dedent(source).encode()
    return analyze_python_file("pkg/mod.py", data, Thresholds(**thresholds))


def functions(source: str) -> dict[str, FunctionMetrics]:
    result = analyze(source)
    assert result.metrics is not None
    return {f.qualname: f for f in result.metrics.functions}


def rules(result: FileAnalysis) -> list[str]:
    return sorted(f.rule_id for f in result.findings)


# --- length ----------------------------------------------------------------------------------


def _documented_function(doc_lines: int, code_lines: int) -> str:
    doc = "\n".join(f"    line {i} of the documentation" for i in range(doc_lines))
    body = "\n".join(f"    x{i} = {i}" for i in range(code_lines))
    return f'def documented(x):\n    """Summary.\n\n{doc}\n    """\n{body}\n    return x\n'


def test_a_docstring_does_not_make_a_function_long() -> None:
    # The case seen in the wild: 124 lines, 101 of them docstring.
    source = _documented_function(doc_lines=98, code_lines=21)
    result = analyze(source, max_function_length=60)
    assert result.metrics is not None
    fn = result.metrics.functions[0]
    assert fn.end_line - fn.line + 1 == 124
    assert fn.length == 23  # def, 21 assignments, return
    assert "CR-MET-002" not in rules(result)


def test_comments_blank_lines_and_bare_strings_are_not_code() -> None:
    fns = functions(
        '''
        def f(a):
            """Docstring."""
            # a comment

            b = a  # a trailing comment does not add a line
            "a bare string is documentation too"

            class Inner:
                """Nested docstrings are not code either."""

                def g(self):
                    return 1
            return b
        '''
    )
    # def f, b = a, class Inner, def g, return 1, return b
    assert fns["f"].length == 6
    assert fns["f.Inner.g"].length == 2


def test_a_statement_over_several_physical_lines_is_one_logical_line() -> None:
    fns = functions(
        """
        def call():
            return dict(
                a=1,
                b=2,
                c=3,
            )

        def header(
            a,
            b,
        ):
            if a: return b
            x = 1; y = 2
            return x + y
        """
    )
    assert fns["call"].length == 2
    # the header is one logical line; `if a: return b` is one; `x = 1; y = 2` is one
    assert fns["header"].length == 4


def test_length_past_the_threshold_is_still_reported_in_logical_lines() -> None:
    result = analyze(_documented_function(doc_lines=3, code_lines=70), max_function_length=60)
    hits = [f for f in result.findings if f.rule_id == "CR-MET-002"]
    assert len(hits) == 1
    assert hits[0].message == "function documented has 72 logical lines of code (threshold 60)"
    assert hits[0].fingerprint  # located by the qualified name, as before


# --- parameters ------------------------------------------------------------------------------


def test_self_and_cls_are_not_parameters_a_caller_passes() -> None:
    fns = functions(
        """
        import functools

        class C:
            def method(self, a, b): ...
            def renamed(this, a): ...
            @classmethod
            def make(cls, a, b, c): ...
            @staticmethod
            def helper(a, b): ...
            @functools.wraps(print)
            def wrapped(self, a): ...
            def __new__(cls, *args, **kwargs): ...
            def only_varargs(*args): ...
            def method_with_closure(self, a):
                def closure(self, b): ...

        def plain(self, other): ...
        """
    )
    counts = {name: f.parameters for name, f in fns.items()}
    assert counts == {
        "C.method": 2,
        "C.renamed": 1,  # bound whatever its name
        "C.make": 3,
        "C.helper": 2,  # a staticmethod binds nothing
        "C.wrapped": 1,
        "C.__new__": 2,  # cls is supplied by the call, like self
        "C.only_varargs": 1,
        "C.method_with_closure": 1,
        "C.method_with_closure.closure": 2,  # a plain function: `self` is just a name here
        "plain": 2,
    }


def test_a_method_at_the_threshold_with_self_is_not_reported() -> None:
    source = """
    class Service:
        def handle(self, a, b, c, d, e, f):
            return a
    """
    assert "CR-MET-003" not in rules(analyze(source, max_parameters=6))
    assert "CR-MET-003" in rules(analyze(source, max_parameters=5))


# --- signature advice ------------------------------------------------------------------------


def _parameter_hint(source: str) -> str:
    hits = [f for f in analyze(source, max_parameters=3).findings if f.rule_id == "CR-MET-003"]
    assert len(hits) == 1
    return hits[0].fix_hint


def test_keyword_only_advice_only_when_an_optional_parameter_is_positional() -> None:
    positional = _parameter_hint("def f(a, b, c, d=1, e=2): ...\n")
    assert "keyword-only" in positional and "2 optional positional parameters" in positional

    already = _parameter_hint("def f(a, b, c, *, d=1, e=2): ...\n")
    none_optional = _parameter_hint("def f(a, b, c, d, e): ...\n")
    for hint in (already, none_optional):
        assert "keyword-only" not in hint
        assert "dataclass" in hint  # the advice that does apply stays


def test_a_method_s_bound_self_is_not_an_optional_parameter() -> None:
    fns = functions(
        """
        class C:
            def m(self, a, b=1, *, c=2): ...
            @staticmethod
            def s(a=0, b=1): ...
        """
    )
    assert (fns["C.m"].optional_positional, fns["C.s"].optional_positional) == (1, 2)


def test_complexity_and_nesting_advice_do_not_presume_an_if_chain_or_a_loop() -> None:
    # complexity from boolean operators and handlers, nesting from with/try: no if, no loop
    source = """
    def f(a, b, c, d):
        with open(a) as fh:
            with open(b) as gh:
                try:
                    with open(c) as hh:
                        try:
                            return fh and gh and hh and d or a or b or c
                        except OSError:
                            return 1
                except ValueError:
                    return 2
                except KeyError:
                    return 3
    """
    result = analyze(source, max_complexity=3, max_nesting=3)
    hints = {f.rule_id: f.fix_hint for f in result.findings}
    assert "loop" not in hints["CR-MET-004"] and "innermost blocks" in hints["CR-MET-004"]
    assert "largest if/elif chain" not in hints["CR-MET-001"]


# --- abstract classes ------------------------------------------------------------------------


def abstract(source: str) -> dict[str, bool]:
    result = analyze(source)
    return {c.qualname: c.is_abstract for c in result.classes}


def test_abstract_bases_metaclasses_and_protocols_through_any_import_spelling() -> None:
    assert abstract(
        """
        import abc
        import typing as t
        from abc import ABC as Base, ABCMeta
        from typing import Protocol, Generic, TypeVar
        import asyncio

        T = TypeVar("T")

        class A(abc.ABC): pass
        class B(Base): pass
        class C(metaclass=ABCMeta): pass
        class D(t.Protocol): pass
        class E(Protocol[T]): pass
        class F(Generic[T]): pass
        class G(asyncio.Protocol): pass
        class H:
            @abc.abstractmethod
            def run(self): ...
        class I:
            def run(self): return 1
        """
    ) == {
        "A": True, "B": True, "C": True, "D": True, "E": True,
        "F": False, "G": False,  # asyncio's Protocol is a concrete base class
        "H": True, "I": False,
    }  # fmt: skip


def test_a_method_that_only_raises_not_implemented_makes_its_class_abstract() -> None:
    assert abstract(
        '''
        class BaseBackend:
            def connect(self):
                """Subclasses must connect."""
                raise NotImplementedError("subclasses of BaseBackend must provide connect()")

            def close(self):
                self.connection = None

        class Loader:
            def load(self):
                raise NotImplementedError

        class Vector:
            def __add__(self, other):
                raise NotImplementedError  # refusing an operator is not being abstract

        class Sometimes:
            def run(self, x):
                if x:
                    raise NotImplementedError
                return x
        '''
    ) == {"BaseBackend": True, "Loader": True, "Vector": False, "Sometimes": False}
