"""Layers, forbidden and independence contracts: direct and indirect violations, ignore_imports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import grimp
import pytest

from coderev.architecture.analyze import analyze_architecture, violation_findings
from coderev.domain.architecture import ContractViolation
from coderev.domain.code import FileAnalysis
from coderev.domain.config import (
    Contract,
    ForbiddenContract,
    IndependenceContract,
    LayersContract,
    ProjectConfig,
)
from coderev.domain.errors import ConfigError
from coderev.domain.findings import Severity

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]


def imports(*targets: str) -> str:
    return "".join(f"import {t}\n" for t in targets)


SHOP = {
    "shop/__init__.py": "",
    "shop/helpers.py": imports("shop.services.orders"),
    "shop/api/__init__.py": "",
    "shop/api/views.py": imports("shop.services.orders"),
    "shop/services/__init__.py": "",
    "shop/services/orders.py": imports("shop.domain.models"),
    "shop/domain/__init__.py": "",
    "shop/domain/models.py": "import os\n" + imports("shop.api.views"),  # direct, line 2
    "shop/domain/events.py": imports("shop.helpers"),  # indirect via helpers
    "shop/adapters/__init__.py": "",
    "shop/adapters/db.py": imports("requests"),
    "shop/domain/rules.py": imports("shop.adapters.db"),
}

LAYERS = LayersContract("layers", (("shop.api",), ("shop.services",), ("shop.domain",)))


def check(analyse: Analyse, tree: dict[str, str], *contracts: Contract) -> list[ContractViolation]:
    result = analyze_architecture(analyse(tree), ProjectConfig(contracts=contracts))
    assert result.contracts_checked == tuple(c.name for c in contracts)
    return list(result.violations)


def chains(violations: list[ContractViolation]) -> set[tuple[str, ...]]:
    return {v.chain for v in violations}


def test_layers_direct_and_indirect(analyse: Analyse) -> None:
    found = check(analyse, SHOP, LAYERS)
    assert chains(found) == {
        ("shop.domain.models", "shop.api.views"),
        ("shop.domain.events", "shop.helpers", "shop.services.orders"),
    }
    direct = next(v for v in found if len(v.chain) == 2)
    assert (direct.path, direct.line, direct.contract_type) == (
        "shop/domain/models.py",
        2,
        "layers",
    )
    assert "below shop.api" in direct.message


def test_layer_chains_do_not_run_through_other_layers(analyse: Analyse) -> None:
    # services -> domain -> api: the domain link is reported, not services -> api
    found = check(analyse, SHOP, LAYERS)
    assert not any(v.importer.startswith("shop.services") for v in found)


def test_layers_agree_with_grimp(
    tmp_path: Path, analyse: Analyse, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path, source in SHOP.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("shop", cache_dir=None)
    theirs = {
        (h, *r.middle, t)
        for dep in graph.find_illegal_dependencies_for_layers(
            layers=["shop.api", "shop.services", "shop.domain"]
        )
        for r in dep.routes
        for h in r.heads
        for t in r.tails
    }
    assert chains(check(analyse, SHOP, LAYERS)) == theirs


def test_containers_and_optional_layers(analyse: Analyse) -> None:
    tree = {
        "a/__init__.py": "",
        "a/high.py": "",
        "a/low.py": imports("a.high"),
        "b/__init__.py": "",
        "b/high.py": imports("b.low"),
        "b/low.py": "",
    }
    contract = LayersContract("c", (("high",), ("(missing)",), ("low",)), containers=("a", "b"))
    assert chains(check(analyse, tree, contract)) == {("a.low", "a.high")}


def test_independent_and_non_independent_siblings(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/top.py": "",
        "p/x.py": imports("p.y"),
        "p/y.py": "",
        "p/m.py": imports("p.n"),
        "p/n.py": "",
    }
    contract = LayersContract(
        "siblings",
        (("p.top",), ("p.x", "p.y"), ("p.m", "p.n")),
        independent_siblings=False,
        layer_independence=(True, True, False),
    )
    found = check(analyse, tree, contract)
    assert chains(found) == {("p.x", "p.y")}
    assert "siblings p.x and p.y must be independent" in found[0].message


def test_forbidden_internal_and_external_direct_and_indirect(analyse: Analyse) -> None:
    contract = ForbiddenContract("no adapters", ("shop.domain",), ("shop.adapters", "requests"))
    # each forbidden module is searched on its own (import-linter): the chain to requests runs
    # through shop.adapters, itself forbidden
    assert chains(check(analyse, SHOP, contract)) == {
        ("shop.domain.rules", "shop.adapters.db"),
        ("shop.domain.rules", "shop.adapters.db", "requests"),
    }
    only_requests = ForbiddenContract("no requests", ("shop.domain",), ("requests",))
    assert chains(check(analyse, SHOP, only_requests)) == {
        ("shop.domain.rules", "shop.adapters.db", "requests"),
    }


def test_forbidden_allow_indirect_imports_checks_direct_ones_only(analyse: Analyse) -> None:
    contract = ForbiddenContract(
        "direct only", ("shop.domain",), ("requests", "shop.services"), allow_indirect_imports=True
    )
    assert check(analyse, SHOP, contract) == []
    direct = ForbiddenContract(
        "direct only", ("shop.domain",), ("shop.api",), allow_indirect_imports=True
    )
    assert chains(check(analyse, SHOP, direct)) == {("shop.domain.models", "shop.api.views")}


def test_independence_direct_and_indirect(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/common.py": imports("p.b.core"),
        "p/a/__init__.py": imports("p.common"),
        "p/b/__init__.py": "",
        "p/b/core.py": "",
        "p/c/__init__.py": "",
        "p/c/x.py": imports("p.a"),
    }
    contract = IndependenceContract("indep", ("p.a", "p.b", "p.c"))
    assert chains(check(analyse, tree, contract)) == {
        ("p.a", "p.common", "p.b.core"),
        ("p.c.x", "p.a"),
    }


def test_ignore_imports_with_wildcards(analyse: Analyse) -> None:
    exact = LayersContract(
        "l", LAYERS.layers, ignore_imports=(("shop.domain.models", "shop.api.views"),)
    )
    assert chains(check(analyse, SHOP, exact)) == {
        ("shop.domain.events", "shop.helpers", "shop.services.orders")
    }
    # `*` is one component: shop.* matches shop.helpers, not shop.api.views
    star = LayersContract("l", LAYERS.layers, ignore_imports=(("shop.domain.*", "shop.*"),))
    assert chains(check(analyse, SHOP, star)) == {("shop.domain.models", "shop.api.views")}
    one = LayersContract("l", LAYERS.layers, ignore_imports=(("shop.*.models", "shop.*.views"),))
    assert chains(check(analyse, SHOP, one)) == {
        ("shop.domain.events", "shop.helpers", "shop.services.orders")
    }
    # `**` is one or more components
    deep = LayersContract(
        "l", LAYERS.layers, ignore_imports=(("shop.**", "shop.api.views"), ("**.events", "**"))
    )
    assert check(analyse, SHOP, deep) == []


def test_missing_module_is_a_config_error(analyse: Analyse) -> None:
    with pytest.raises(ConfigError, match=r"'shop\.nope'"):
        check(analyse, SHOP, IndependenceContract("i", ("shop.api", "shop.nope")))
    with pytest.raises(ConfigError, match="container 'nope'"):
        check(analyse, SHOP, LayersContract("l", (("api",),), containers=("nope",)))
    with pytest.raises(ConfigError, match=r"\(domain2\)"):
        check(analyse, SHOP, LayersContract("l", (("api",), ("domain2",)), containers=("shop",)))
    # an unknown top-level name in forbidden_modules is an external package: no error
    assert check(analyse, SHOP, ForbiddenContract("f", ("shop.domain",), ("django",))) == []


def test_violation_findings(analyse: Analyse) -> None:
    both = (LAYERS, ForbiddenContract("api", ("shop.domain",), ("shop.api",)))
    result = analyze_architecture(analyse(SHOP), ProjectConfig(contracts=both))
    findings = violation_findings(result)
    # the same illegal edge flagged by two contracts is one finding naming both
    models = [f for f in findings if f.path == "shop/domain/models.py"]
    assert len(models) == 1
    assert "'layers' (layers)" in models[0].message and "'api' (forbidden)" in models[0].message
    assert models[0].severity == Severity.HIGH and models[0].rule_id == "CR-ARCH-001"
    assert models[0].line == 2 and "Remove the import of shop.api.views" in models[0].fix_hint
    indirect = next(f for f in findings if f.path == "shop/domain/events.py")
    assert "shop.domain.events -> shop.helpers" in indirect.fix_hint
    moved = dict(SHOP, **{"shop/domain/models.py": "\n\n" + SHOP["shop/domain/models.py"]})
    again = violation_findings(analyze_architecture(analyse(moved), ProjectConfig(contracts=both)))
    assert {f.fingerprint for f in again} == {f.fingerprint for f in findings}


def test_exhaustive_layers_list_every_child_of_the_container(analyse: Analyse) -> None:
    contract = LayersContract(
        "exhaustive",
        (("api",), ("services",), ("domain",)),
        containers=("shop",),
        exhaustive=True,
        exhaustive_ignores=("helpers",),
    )
    found = [v for v in check(analyse, SHOP, contract) if len(v.chain) == 1]
    assert [(v.importer, v.imported, v.path, v.line) for v in found] == [
        ("shop.adapters", "shop", "shop/adapters/__init__.py", 0)
    ]
    result = analyze_architecture(analyse(SHOP), ProjectConfig(contracts=(contract,)))
    finding = next(f for f in violation_findings(result) if f.path == "shop/adapters/__init__.py")
    assert "exhaustive_ignores" in finding.fix_hint
