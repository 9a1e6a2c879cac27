"""Synthetic trees on disk, analysed by coderev and by grimp: equal module and edge sets.

Each tree plants one defect class the import graph once had: a namespace subfolder inside a
regular package resolved to its parent package (inventing edges and a cycle), imports of
unknown modules climbing to a distant ancestor, and TYPE_CHECKING spelt other than
`TYPE_CHECKING` / `typing.TYPE_CHECKING`.
"""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

import grimp
import pytest

from coderev.analysis.python_file import analyze_python_file
from coderev.architecture.analyze import analyze_architecture, cycle_findings
from coderev.domain.architecture import ArchitectureResult, ImportKind
from coderev.domain.config import ProjectConfig, Thresholds

NAMESPACE_SUBFOLDER = {
    "nsub/__init__.py": "from nsub.core import load\n",
    # nsub/data has no __init__.py: grimp (and Python tools built on it) do not see it as a
    # module, so none of these four imports is an edge, and nsub <-> nsub.core is no cycle.
    "nsub/core.py": (
        "from nsub.data.loader import load\n"
        "import nsub.data.loader\n"
        "from nsub.data import loader\n"
        "from .data.loader import read\n"
        "import nsub.util\n"
    ),
    "nsub/data/loader.py": "import nsub.core\ndef load(): ...\ndef read(): ...\n",
    "nsub/util.py": (
        "import nsub.reg.deep.mod\nfrom nsub.reg.deep import mod\nimport nsub.reg.x.attr\n"
    ),
    "nsub/reg/__init__.py": "",
    "nsub/reg/x.py": "",
    "nsub/reg/deep/mod.py": "import nsub\n",  # orphan below a regular subpackage
}

NAMESPACE_ROOT = {
    # nsroot has no __init__.py: a namespace package of two portions and a nested namespace dir
    "nsroot/alpha/__init__.py": "from nsroot.beta.gamma import delta\nimport nsroot.beta\n",
    "nsroot/alpha/m.py": "from nsroot import alpha\nimport nsroot.beta.gamma.delta.attr\n",
    "nsroot/beta/gamma/__init__.py": "",
    "nsroot/beta/gamma/delta.py": "from nsroot.zeta import q\nimport nsroot.alpha.m\n",
}

TYPE_CHECKING_SPELLINGS = {
    "tcspell/__init__.py": "",
    **{f"tcspell/m{i}.py": "import tcspell.hub\n" for i in range(1, 9)},
    "tcspell/hub.py": textwrap.dedent(
        """\
        import typing
        import typing as t
        import typing_extensions as te
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            import tcspell.m1
        if typing.TYPE_CHECKING:
            import tcspell.m2
        if t.TYPE_CHECKING:
            import tcspell.m3
        if te.TYPE_CHECKING:
            import tcspell.m4
        if TYPE_CHECKING:
            pass
        else:
            import tcspell.m5
        def later():
            if t.TYPE_CHECKING:
                import tcspell.m6
            import tcspell.m7
        class Box:
            import tcspell.m8
        """
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str], package: str
) -> tuple[ArchitectureResult, grimp.ImportGraph, grimp.ImportGraph]:
    _write(tmp_path, files)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    analyses = [
        analyze_python_file(path, text.encode(), Thresholds()) for path, text in files.items()
    ]
    ours = analyze_architecture(analyses, ProjectConfig(root_packages=(package,)))
    graph = grimp.build_graph(package, cache_dir=None)
    runtime = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    return ours, graph, runtime


def _pairs(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    return {(m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)}


def _edges(result: ArchitectureResult) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in result.imports if not e.external}


def test_a_namespace_subfolder_invents_no_edge_and_no_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, graph, _ = _both(tmp_path, monkeypatch, NAMESPACE_SUBFOLDER, "nsub")
    assert {m.name for m in ours.modules} == set(graph.modules)
    assert _edges(ours) == _pairs(graph)
    assert _edges(ours) == {
        ("nsub", "nsub.core"),
        ("nsub.core", "nsub.util"),
        ("nsub.util", "nsub.reg.x"),
    }
    assert ours.cycles == ()
    assert cycle_findings(ours) == []


def test_a_namespace_root_package_matches_grimp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, graph, _ = _both(tmp_path, monkeypatch, NAMESPACE_ROOT, "nsroot")
    assert {m.name for m in ours.modules} == set(graph.modules)
    assert _edges(ours) == _pairs(graph)
    lines = {(e.source, e.target, e.line) for e in ours.imports if not e.external}
    theirs = {
        (a, b, d["line_number"])
        for a, b in _pairs(graph)
        for d in graph.get_import_details(importer=a, imported=b)
    }
    assert lines == theirs


def test_every_spelling_of_type_checking_and_where_imports_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours, graph, runtime = _both(tmp_path, monkeypatch, TYPE_CHECKING_SPELLINGS, "tcspell")
    assert _edges(ours) == _pairs(graph)
    type_checking = {(e.source, e.target) for e in ours.imports if e.type_checking}
    assert type_checking == _pairs(graph) - _pairs(runtime)
    kinds = {e.target: e.kind for e in ours.imports if e.source == "tcspell.hub"}
    assert kinds == {
        "typing": ImportKind.IMPORT_TIME,
        "typing_extensions": ImportKind.IMPORT_TIME,
        "tcspell.m1": ImportKind.TYPE_CHECKING,
        "tcspell.m2": ImportKind.TYPE_CHECKING,
        "tcspell.m3": ImportKind.TYPE_CHECKING,
        "tcspell.m4": ImportKind.TYPE_CHECKING,
        "tcspell.m5": ImportKind.IMPORT_TIME,  # the else-branch runs
        "tcspell.m6": ImportKind.TYPE_CHECKING,
        "tcspell.m7": ImportKind.DEFERRED,  # grimp counts it as an edge too
        "tcspell.m8": ImportKind.IMPORT_TIME,  # a class body runs at import
    }
    # Every m_i imports hub back: hub, m5 and m8 form the import-time cycle (a finding); the
    # deferred import of m7 and the type-checking ones tie bigger knots (information).
    assert [c.modules for c in ours.cycles] == [("tcspell.hub", "tcspell.m5", "tcspell.m8")]
    assert [(c.size, c.kind) for c in ours.other_cycles] == [
        (9, ImportKind.TYPE_CHECKING),
        (4, ImportKind.DEFERRED),
    ]
    assert [f.extra["size"] for f in cycle_findings(ours)] == ["3"]
