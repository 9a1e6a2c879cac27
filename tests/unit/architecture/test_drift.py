"""Architecture drift between a baseline and the current code."""

from __future__ import annotations

from collections.abc import Callable

from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.drift import architecture_drift
from coderev.domain.code import FileAnalysis
from coderev.domain.config import LayersContract, ProjectConfig

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]

CONFIG = ProjectConfig(contracts=(LayersContract("layers", (("p.api",), ("p.domain",))),))

BASE = {
    "p/__init__.py": "",
    "p/api/__init__.py": "",
    "p/api/views.py": "import p.domain.model\nimport p.util\n",
    "p/domain/__init__.py": "",
    "p/domain/model.py": "import p.api.views\n",  # a violation and a cycle, both old
    "p/util.py": "",
}


def test_no_change_no_drift(analyse: Analyse) -> None:
    result = analyze_architecture(analyse(BASE), CONFIG)
    drift = architecture_drift(result, result)
    assert (drift.new_imports, drift.removed_imports, drift.new_cycles) == ((), (), ())
    assert (drift.new_violations, drift.packages) == ((), ())


def test_new_and_removed_edges_cycles_violations_and_packages(analyse: Analyse) -> None:
    current = dict(BASE)
    current["p/api/views.py"] = "import p.domain.model\n"  # p.util no longer imported
    current["p/domain/rules.py"] = "import p.api.forms\n"  # new violation and a new cycle
    current["p/api/forms.py"] = "import p.domain.rules\nimport json\n"
    baseline = analyze_architecture(analyse(BASE), CONFIG)
    drift = architecture_drift(baseline, analyze_architecture(analyse(current), CONFIG))
    assert drift.new_imports == (
        ("p.api.forms", "p.domain.rules"),
        ("p.domain.rules", "p.api.forms"),
    )
    assert drift.removed_imports == (("p.api.views", "p.util"),)
    assert [c.modules for c in drift.new_cycles] == [("p.api.forms", "p.domain.rules")]
    assert [(v.importer, v.imported) for v in drift.new_violations] == [
        ("p.domain.rules", "p.api.forms")
    ]
    # p.api: Ca 1 (model) -> 2 (model, rules); Ce 2 (model, util) -> 2 (model, rules)
    by_package = {p.package: p for p in drift.packages}
    api = by_package["p.api"]
    assert (api.instability_before, api.instability_after) == (0.6667, 0.5)
    assert (api.distance_before, api.distance_after) == (0.3333, 0.5)
    assert "p" not in by_package  # unchanged packages are left out


def test_violation_whose_line_moved_is_not_new(analyse: Analyse) -> None:
    moved = dict(BASE, **{"p/domain/model.py": "\n\nimport p.api.views\n"})
    drift = architecture_drift(
        analyze_architecture(analyse(BASE), CONFIG), analyze_architecture(analyse(moved), CONFIG)
    )
    assert drift.new_violations == ()


def test_new_and_removed_packages(analyse: Analyse) -> None:
    current = dict(BASE, **{"p/extra/__init__.py": "import p.util\n"})
    drift = architecture_drift(
        analyze_architecture(analyse(BASE), CONFIG), analyze_architecture(analyse(current), CONFIG)
    )
    extra = next(p for p in drift.packages if p.package == "p.extra")
    assert (extra.instability_before, extra.instability_after) == (None, 1.0)
    gone = architecture_drift(
        analyze_architecture(analyse(current), CONFIG), analyze_architecture(analyse(BASE), CONFIG)
    )
    removed = next(p for p in gone.packages if p.package == "p.extra")
    assert (removed.instability_after, removed.distance_after) == (None, None)


def test_a_cycle_that_shrank_is_not_new_and_one_that_grew_is(analyse: Analyse) -> None:
    base = {
        "q/__init__.py": "",
        "q/a.py": "import q.b\n",
        "q/b.py": "import q.c\n",
        "q/c.py": "import q.a\n",
    }
    shrunk = dict(base, **{"q/b.py": "import q.a\n"})  # a <-> b only
    grown = dict(base, **{"q/c.py": "import q.a\nimport q.d\n", "q/d.py": "import q.a\n"})
    before = analyze_architecture(analyse(base), ProjectConfig())
    assert (
        architecture_drift(
            before, analyze_architecture(analyse(shrunk), ProjectConfig())
        ).new_cycles
        == ()
    )
    new = architecture_drift(
        before, analyze_architecture(analyse(grown), ProjectConfig())
    ).new_cycles
    assert [c.modules for c in new] == [("q.a", "q.b", "q.c", "q.d")]
