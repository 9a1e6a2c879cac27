"""Each import statement's kind, from the one parse: import-time, deferred or type-checking."""

from __future__ import annotations

import textwrap

import pytest

from coderev.analysis.python_file import analyze_python_file
from coderev.domain.architecture import ImportKind
from coderev.domain.config import Thresholds

IT, DEFERRED, TC = ImportKind.IMPORT_TIME, ImportKind.DEFERRED, ImportKind.TYPE_CHECKING


def kinds(source: str) -> dict[str, ImportKind]:
    analysis = analyze_python_file("m.py", textwrap.dedent(source).encode(), Thresholds())
    return {i.module or i.names[0]: i.kind for i in analysis.imports}


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        ("TYPE_CHECKING", TC),
        ("typing.TYPE_CHECKING", TC),
        ("t.TYPE_CHECKING", TC),  # import typing as t
        ("typing_extensions.TYPE_CHECKING", TC),
        ("compat.TYPE_CHECKING", TC),  # a project's own flag, as grimp reads it
        ("TC", TC),  # from typing import TYPE_CHECKING as TC
        ("TYPE_CHECKING and sys.version_info >= (3, 11)", TC),
        ("sys.version_info >= (3, 11) and t.TYPE_CHECKING", TC),
        ("not (not TYPE_CHECKING)", TC),
        ("TYPE_CHECKING or sys.platform == 'win32'", IT),  # runs on Windows
        ("not TYPE_CHECKING", IT),
        ("sys.version_info >= (3, 11)", IT),
        ("__name__ == '__main__'", DEFERRED),  # only when run as a script
        ("'__main__' == __name__", DEFERRED),
        ("__name__ != '__main__'", IT),
    ],
)
def test_the_guard_of_an_if_body(guard: str, expected: ImportKind) -> None:
    source = f"""
        import sys
        import typing as t
        from typing import TYPE_CHECKING as TC
        if {guard}:
            import target
        """
    assert kinds(source)["target"] is expected


def test_else_branches_and_elif() -> None:
    source = """
        from typing import TYPE_CHECKING
        if not TYPE_CHECKING:
            import runtime_only
        else:
            import checker_only
        if TYPE_CHECKING:
            import a
        else:
            import b
        if not TYPE_CHECKING:
            import c
        elif sys.flag:
            import d
        if __name__ != "__main__":
            import e
        else:
            import f
        """
    found = kinds(source)
    assert (found["runtime_only"], found["checker_only"]) == (IT, TC)
    assert (found["a"], found["b"]) == (TC, IT)
    assert (found["c"], found["d"]) == (IT, TC)  # the elif runs only when TYPE_CHECKING holds
    assert (found["e"], found["f"]) == (IT, DEFERRED)


def test_functions_defer_and_guards_only_weaken() -> None:
    source = """
        from typing import TYPE_CHECKING
        def f():
            import in_function
            if TYPE_CHECKING:
                import checker_in_function
            class Local:
                import in_local_class
        class C:
            import in_class_body
            def m(self):
                import in_method
        if TYPE_CHECKING:
            def g():
                import function_under_checker
            if __name__ == "__main__":
                import main_under_checker
        if __name__ == "__main__":
            if TYPE_CHECKING:
                import checker_under_main
            import under_main
        """
    assert kinds(source) == {
        "typing": IT,
        "in_function": DEFERRED,
        "checker_in_function": TC,
        "in_local_class": DEFERRED,
        "in_class_body": IT,
        "in_method": DEFERRED,
        "function_under_checker": TC,
        "main_under_checker": TC,
        "checker_under_main": TC,
        "under_main": DEFERRED,
    }


def test_an_alias_bound_in_a_try_block_counts() -> None:
    source = """
        try:
            from typing import TYPE_CHECKING as CHECKING
        except ImportError:
            CHECKING = False
        if CHECKING:
            import target
        """
    assert kinds(source)["target"] is TC
