"""Same modules, same internal import edges, same lines as grimp on real installed packages.

flask, alembic and setuptools have namespace subfolders inside their regular packages
(flask/sansio, alembic/templates/*, setuptools/_distutils/compat...) and guard imports with
`TYPE_CHECKING`, `t.TYPE_CHECKING` and `typing.TYPE_CHECKING`: on them the edges coderev tags
type-checking are exactly the (importer, imported) pairs grimp drops with
`exclude_type_checking_imports=True`.

The one deliberate difference with grimp's module graph: none found on these packages. (grimp
keeps self-imports such as rich's `from . import box` in rich/box.py; so does coderev, and its
cycle finder ignores them; grimp keeps modules whose file stem is not an identifier, such as
rich._unicode_data.unicode5-0-0, which importlib loads; so does coderev.)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import grimp
import pytest

from coderev.architecture.analyze import analyze_architecture
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig

AnalyseDir = Callable[[Path, str], list[FileAnalysis]]


def _site_root(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))).parent


@pytest.mark.parametrize(
    "package",
    [
        "jinja2",
        "rich",
        "pydantic",
        "flask",
        "alembic",
        pytest.param("setuptools", marks=pytest.mark.slow),
        pytest.param("networkx", marks=pytest.mark.slow),
    ],
)
def test_modules_edges_and_lines_match_grimp(package: str, analyse_dir: AnalyseDir) -> None:
    files = analyse_dir(_site_root(package), package)
    result = analyze_architecture(files, ProjectConfig(root_packages=(package,)))

    graph = grimp.build_graph(package, cache_dir=None)
    assert {m.name for m in result.modules} == set(graph.modules)

    theirs = {(m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)}
    ours: dict[tuple[str, str], set[int]] = {}
    for e in result.imports:
        if not e.external:
            ours.setdefault((e.source, e.target), set()).add(e.line)
    assert set(ours) == theirs
    assert len(theirs) > 60  # a real graph, not an empty agreement

    for importer, imported in sorted(theirs):
        details = graph.get_import_details(importer=importer, imported=imported)
        assert ours[(importer, imported)] == {d["line_number"] for d in details}, (
            importer,
            imported,
        )


def test_external_edges_name_the_top_level_package(analyse_dir: AnalyseDir) -> None:
    files = analyse_dir(_site_root("jinja2"), "jinja2")
    result = analyze_architecture(files, ProjectConfig(root_packages=("jinja2",)))
    external = {e.target for e in result.imports if e.external}
    assert {"markupsafe", "typing", "os"} <= external
    assert not any("." in name for name in external)
    graph = grimp.build_graph("jinja2", include_external_packages=True, cache_dir=None)
    squashed = {m for m in graph.modules if graph.is_module_squashed(m)}
    assert external == squashed


def test_with_the_analysis_rooms_own_parser() -> None:
    """End to end with coderev.analysis's one-parse FileAnalysis, not the test stand-in."""
    from coderev.analysis.python_file import analyze_python_file
    from coderev.domain.config import Thresholds

    root = _site_root("jinja2")
    files = [
        analyze_python_file(p.relative_to(root).as_posix(), p.read_bytes(), Thresholds())
        for p in sorted((root / "jinja2").rglob("*.py"))
    ]
    result = analyze_architecture(files, ProjectConfig(root_packages=("jinja2",)))
    graph = grimp.build_graph("jinja2", cache_dir=None)
    ours = {(e.source, e.target) for e in result.imports if not e.external}
    theirs = {(m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m)}
    assert ours == theirs
    assert {m.name for m in result.modules} == set(graph.modules)


def _one_parse_files(package: str) -> list[FileAnalysis]:
    from coderev.analysis.python_file import analyze_python_file
    from coderev.domain.config import Thresholds

    root = _site_root(package)
    return [
        analyze_python_file(p.relative_to(root).as_posix(), p.read_bytes(), Thresholds())
        for p in sorted((root / package).rglob("*.py"))
    ]


@pytest.mark.parametrize(
    "package", ["flask", "alembic", "jinja2", pytest.param("setuptools", marks=pytest.mark.slow)]
)
def test_namespace_subfolders_and_type_checking_imports_match_grimp(package: str) -> None:
    files = _one_parse_files(package)
    result = analyze_architecture(files, ProjectConfig(root_packages=(package,)))
    graph = grimp.build_graph(package, cache_dir=None)
    runtime = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    assert {m.name for m in result.modules} == set(graph.modules)

    def pairs(g: grimp.ImportGraph) -> set[tuple[str, str]]:
        return {(m, i) for m in g.modules for i in g.find_modules_directly_imported_by(m)}

    kinds: dict[tuple[str, str], set[bool]] = {}
    for e in result.imports:
        if not e.external:
            kinds.setdefault((e.source, e.target), set()).add(e.type_checking)
    assert set(kinds) == pairs(graph)
    type_checking_only = {pair for pair, flags in kinds.items() if flags == {True}}
    assert type_checking_only == pairs(graph) - pairs(runtime)
    assert type_checking_only  # these packages do guard imports
