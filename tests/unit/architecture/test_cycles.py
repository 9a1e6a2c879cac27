"""Import cycles: components by kind, one shortest cycle each, ranked by size, cuts, findings."""

from __future__ import annotations

from collections.abc import Callable

from coderev.architecture.analyze import analyze_architecture, cycle_findings
from coderev.domain.architecture import CutEdge, Cycle, ImportKind
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.domain.findings import Category, Severity

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]


def imports(*targets: str) -> str:
    return "".join(f"import {t}\n" for t in targets)


TREE = {
    "p/__init__.py": "",
    # one component {a, b, c, d}: a->b->c->d->a and a shortcut c->a (shortest: a->b->c->a)
    "p/a.py": imports("p.b"),
    "p/b.py": imports("p.c"),
    "p/c.py": imports("p.d", "p.a"),
    "p/d.py": imports("p.a"),
    # a two-module cycle across packages, plus a self-import that is no cycle
    "p/x/__init__.py": "",
    "p/x/m.py": imports("p.y.n", "p.x.m"),
    "p/y/__init__.py": "",
    "p/y/n.py": imports("p.x.m"),
    "p/y/leaf.py": imports("p.y.n"),
    "p/y/other.py": imports("p.y.n"),
}


def test_components_with_a_shortest_cycle_each(analyse: Analyse) -> None:
    result = analyze_architecture(analyse(TREE), ProjectConfig())
    # Largest first; b -> c is on both loops of the first component, so it alone breaks it.
    assert result.cycles == (
        Cycle(
            ("p.a", "p.b", "p.c", "p.d"),
            ("p.a", "p.b", "p.c", "p.a"),
            ImportKind.IMPORT_TIME,
            (CutEdge("p.b", "p.c", "p/b.py", (1,)),),
        ),
        Cycle(
            ("p.x.m", "p.y.n"),
            ("p.x.m", "p.y.n", "p.x.m"),
            ImportKind.IMPORT_TIME,
            (CutEdge("p.y.n", "p.x.m", "p/y/n.py", (1,)),),
        ),
    )
    assert result.other_cycles == ()


def test_order_does_not_depend_on_file_order(analyse: Analyse) -> None:
    forward = analyze_architecture(analyse(TREE), ProjectConfig())
    files = list(reversed(analyse(TREE)))
    assert analyze_architecture(files, ProjectConfig()).cycles == forward.cycles


def test_no_cycle_without_a_loop(analyse: Analyse) -> None:
    tree = {"p/__init__.py": "", "p/a.py": imports("p.b", "p.a"), "p/b.py": ""}
    assert analyze_architecture(analyse(tree), ProjectConfig()).cycles == ()


def test_cycle_findings_locate_the_first_link_and_name_the_edge_to_cut(analyse: Analyse) -> None:
    result = analyze_architecture(analyse(TREE), ProjectConfig())
    inner, across = cycle_findings(result)
    assert (inner.rule_id, inner.severity, inner.category) == (
        "CR-ARCH-002",
        Severity.MEDIUM,
        Category.ARCHITECTURE,
    )
    assert (inner.path, inner.line) == ("p/a.py", 1)
    assert inner.message == (
        "import cycle: 4 modules import each other at import time; "
        "shortest cycle p.a -> p.b -> p.c -> p.a"
    )
    assert inner.fix_hint.startswith(
        "Removing this import leaves the 4 modules without an import-time cycle: "
        "p.b -> p.c (p/b.py:1)."
    )
    assert (inner.extra["size"], inner.extra["kind"], inner.extra["cut"]) == (
        "4",
        "import-time",
        "p.b->p.c",
    )
    assert across.severity == Severity.HIGH  # crossing packages
    assert "p.y.n -> p.x.m (p/y/n.py:1)" in across.fix_hint


def test_cycle_fingerprint_ignores_lines(analyse: Analyse) -> None:
    before = cycle_findings(analyze_architecture(analyse(TREE), ProjectConfig()))
    moved = dict(TREE, **{"p/a.py": "\n\n" + TREE["p/a.py"]})
    after = cycle_findings(analyze_architecture(analyse(moved), ProjectConfig()))
    assert [f.fingerprint for f in after] == [f.fingerprint for f in before]
    assert after[0].line == 3


def test_package_init_and_its_module_are_one_package(analyse: Analyse) -> None:
    tree = {"p/__init__.py": "", "p/x/__init__.py": "from . import m\n", "p/x/m.py": "import p.x\n"}
    (finding,) = cycle_findings(analyze_architecture(analyse(tree), ProjectConfig()))
    assert finding.severity == Severity.MEDIUM
    assert finding.message == (
        "import cycle: 2 modules import each other at import time; "
        "shortest cycle p.x -> p.x.m -> p.x"
    )


def test_cycles_only_through_deferred_or_type_checking_imports_are_no_findings(
    analyse: Analyse,
) -> None:
    tree = {
        "p/__init__.py": "",
        # a <-> b only because b imports a inside a function
        "p/a.py": "import p.b\n",
        "p/b.py": "def late():\n    import p.a\n",
        # c <-> d only because d imports c for type checkers
        "p/c.py": "import p.d\n",
        "p/d.py": "import typing as t\nif t.TYPE_CHECKING:\n    import p.c\n",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert result.cycles == ()
    assert cycle_findings(result) == []
    assert [(c.modules, c.kind, c.path, c.cut) for c in result.other_cycles] == [
        (("p.a", "p.b"), ImportKind.DEFERRED, ("p.b", "p.a", "p.b"), ()),
        (("p.c", "p.d"), ImportKind.TYPE_CHECKING, ("p.d", "p.c", "p.d"), ()),
    ]


def test_a_deferred_import_that_ties_import_time_cycles_together(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/a.py": "import p.b\n",
        "p/b.py": "import p.a\nimport p.c\n",
        "p/c.py": "import p.d\n",
        "p/d.py": "import p.c\ndef f():\n    import p.a\n",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    # Two import-time cycles are findings; the knot the deferred import ties is information,
    # and its path goes through that import.
    assert [c.modules for c in result.cycles] == [("p.a", "p.b"), ("p.c", "p.d")]
    (knot,) = result.other_cycles
    assert (knot.size, knot.kind) == (4, ImportKind.DEFERRED)
    assert knot.path[:2] == ("p.d", "p.a")
    assert len(cycle_findings(result)) == 2


def test_strongest_statement_decides_the_kind_of_an_edge(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/a.py": "import p.b\n",
        # one deferred and one import-time import of a: the edge is import-time
        "p/b.py": "def f():\n    import p.a\nfrom p import a\n",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    (cycle,) = result.cycles
    assert (cycle.modules, cycle.kind) == (("p.a", "p.b"), ImportKind.IMPORT_TIME)
    assert result.cycles[0].cut == (CutEdge("p.b", "p.a", "p/b.py", (3,)),)


def test_cycles_are_ranked_by_size_not_by_name(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/a1.py": imports("p.a2"),
        "p/a2.py": imports("p.a1"),
        "p/z1.py": imports("p.z2"),
        "p/z2.py": imports("p.z3"),
        "p/z3.py": imports("p.z1"),
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert [c.size for c in result.cycles] == [3, 2]
    assert [f.extra["size"] for f in cycle_findings(result)] == ["3", "2"]


def test_a_package_reexport_is_never_the_cut(analyse: Analyse) -> None:
    # The package re-exports its submodules, which import names back from the package: the
    # cut is every submodule's import of the package (import from the sibling instead), never
    # the __init__'s re-exports, even though fewer __init__ lines would do.
    tree = {
        "p/__init__.py": "from p.checks import a, b, c\n",
        "p/checks/__init__.py": "from .a import A\nfrom .b import B\nfrom .c import C\n",
        "p/checks/a.py": "from p.checks import registry\nA = 1\n",
        "p/checks/b.py": "from p.checks import registry\nB = 1\n",
        "p/checks/c.py": "from p.checks import registry\nC = 1\n",
        "p/checks/registry.py": "",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert result.cycles == ()  # `from p.checks import registry` is the registry module
    tree = {k: v.replace("import registry", "import A") for k, v in tree.items()}
    result = analyze_architecture(analyse(tree), ProjectConfig())
    (cycle,) = result.cycles
    assert cycle.size == 4
    assert [(c.source, c.target) for c in cycle.cut] == [
        ("p.checks.a", "p.checks"),
        ("p.checks.b", "p.checks"),
        ("p.checks.c", "p.checks"),
    ]
