"""Cycle cuts on random graphs: the cut breaks every cycle, is minimal, and spares re-exports.

"Breaks" is checked in its strong form, by recomputation with networkx: the component without
the cut has no cycle left at all.
"""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coderev.architecture.cycle_cuts import feedback_arc_set, is_acyclic
from coderev.architecture.cycles import find_cycles
from coderev.domain.architecture import ImportEdge, ImportKind, ModuleNode

NAMES = [f"n{i}" for i in range(8)]
_edges = st.tuples(st.sampled_from(NAMES), st.sampled_from(NAMES)).filter(lambda e: e[0] != e[1])
weighted = st.dictionaries(_edges, st.integers(1, 4), max_size=28)


def _digraph(edges: object) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(NAMES)
    graph.add_edges_from(edges)  # type: ignore[arg-type]
    return graph


@settings(max_examples=300, deadline=None)
@given(weighted, st.data())
def test_the_cut_leaves_no_cycle_and_every_cut_edge_is_needed(
    weight: dict[tuple[str, str], int], data: st.DataObject
) -> None:
    protected = data.draw(st.sets(st.sampled_from(sorted(weight)))) if weight else set()
    cut = feedback_arc_set(NAMES, weight, protected)
    assert set(cut) <= set(weight)
    rest = [e for e in weight if e not in cut]
    assert nx.is_directed_acyclic_graph(_digraph(rest))
    for edge in cut:  # minimal: putting any edge back closes a cycle
        assert not nx.is_directed_acyclic_graph(_digraph([*rest, edge]))
    if nx.is_directed_acyclic_graph(_digraph(protected)):
        # a cut without protected edges exists, so the cut has none
        assert not set(cut) & protected
    else:
        assert set(cut) & protected


@settings(max_examples=200, deadline=None)
@given(weighted)
def test_an_acyclic_graph_needs_no_cut_and_a_cycle_at_least_one_edge(
    weight: dict[tuple[str, str], int],
) -> None:
    cut = feedback_arc_set(NAMES, weight)
    assert (cut == ()) == nx.is_directed_acyclic_graph(_digraph(weight))


@settings(max_examples=200, deadline=None)
@given(st.sets(_edges, max_size=24), st.sets(_edges, max_size=6))
def test_every_import_time_component_is_broken_and_keeps_its_package_reexports(
    plain: set[tuple[str, str]], from_package: set[tuple[str, str]]
) -> None:
    # n0..n3 are packages (their __init__ files); an edge from a package to a name below it is
    # a re-export. Submodules are named below their package so such edges exist.
    modules = {n: ModuleNode(n, f"{n}/__init__.py", True) for n in NAMES[:4]}
    subs = {f"{p}.s{i}" for p in NAMES[:4] for i in range(2)}
    modules |= {n: ModuleNode(n, n.replace(".", "/") + ".py", False) for n in subs}
    names = sorted(modules)
    pairs = {(a, b) for a, b in plain if a in modules and b in modules}
    # each drawn (package, x) pair becomes a re-export (package -> package.s0) and its return
    reexports = {(p, f"{p}.s0") for p, _ in from_package if p in NAMES[:4]}
    pairs |= reexports | {(b, a) for a, b in reexports}
    edges = [ImportEdge(a, b, i + 1) for i, (a, b) in enumerate(sorted(pairs))]
    cycles, others = find_cycles(modules, edges)
    assert others == ()
    graph = nx.DiGraph(sorted(pairs))
    graph.add_nodes_from(names)
    components = {frozenset(c) for c in nx.strongly_connected_components(graph) if len(c) > 1}
    assert {frozenset(c.modules) for c in cycles} == components
    for cycle in cycles:
        sub = graph.subgraph(cycle.modules).copy()
        protected = {(a, b) for a, b in sub.edges if a in NAMES and b.startswith(a + ".")}
        sub.remove_edges_from((c.source, c.target) for c in cycle.cut)
        assert nx.is_directed_acyclic_graph(sub)
        if nx.is_directed_acyclic_graph(nx.DiGraph(sorted(protected))):
            assert not {(c.source, c.target) for c in cycle.cut} & protected
        for c in cycle.cut:
            assert c.path == modules[c.source].path and c.lines


def test_is_acyclic_by_recomputation() -> None:
    assert is_acyclic("abc", [("a", "b"), ("b", "c")])
    assert not is_acyclic("abc", [("a", "b"), ("b", "c"), ("c", "a")])
    assert not is_acyclic("a", [("a", "a")])


@pytest.mark.parametrize("kind", [ImportKind.DEFERRED, ImportKind.TYPE_CHECKING])
def test_weaker_imports_get_no_cut(kind: ImportKind) -> None:
    modules = {n: ModuleNode(n, f"{n}.py", False) for n in ("a", "b")}
    cycles, others = find_cycles(modules, [ImportEdge("a", "b", 1), ImportEdge("b", "a", 2, kind)])
    assert cycles == ()
    assert [(c.kind, c.cut) for c in others] == [(kind, ())]


def test_the_cut_prefers_the_import_with_fewer_statements() -> None:
    # a -> b is made by three import statements, b -> a by one: cut the one.
    weight = {("a", "b"): 3, ("b", "a"): 1}
    assert feedback_arc_set(["a", "b"], weight) == (("b", "a"),)
    weight = {("a", "b"): 1, ("b", "a"): 3}
    assert feedback_arc_set(["a", "b"], weight) == (("a", "b"),)
