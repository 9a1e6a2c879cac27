"""Import cycles: components, one shortest cycle each, deterministic order, and their findings."""

from __future__ import annotations

from collections.abc import Callable

from coderev.architecture.analyze import analyze_architecture, cycle_findings
from coderev.domain.architecture import Cycle
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
    assert result.cycles == (
        Cycle(("p.a", "p.b", "p.c", "p.d"), ("p.a", "p.b", "p.c", "p.a")),
        Cycle(("p.x.m", "p.y.n"), ("p.x.m", "p.y.n", "p.x.m")),
    )


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
    assert "p.a -> p.b -> p.c -> p.a" in inner.message
    # Crossing packages makes it high. p.y.n has 3 importers, p.x.m 1: p.y.n is the lower-level
    # module, so its import of p.x.m is the edge to cut.
    assert across.severity == Severity.HIGH
    assert "Cut the import of p.x.m in p.y.n (p/y/n.py line 1)" in across.fix_hint
    assert across.extra["cut"] == "p.y.n->p.x.m"


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
        "import cycle: 2 modules import each other; shortest cycle p.x -> p.x.m -> p.x"
    )
