"""The same contract violations as import-linter itself, from the same .importlinter file.

Each case writes a small package and an INI configuration to tmp_path, runs import-linter's
own report in-process, and compares every broken (importer, imported) pair and its chain with
coderev's, which reads the same file through load_project_config. For the direct-import types
(protected, private_modules) the chain is the (importer, imported) pair; an exhaustive layers
contract's unlisted module is a one-module chain; acyclic_siblings is compared by the packages
whose children import each other in a cycle (import-linter names imports that would break the
cycles, chosen by grimp's heuristic; coderev names each cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from coderev.architecture.analyze import analyze_architecture
from coderev.architecture.config import load_project_config
from coderev.domain.code import FileAnalysis

AnalyseDir = Callable[[Path, str], list[FileAnalysis]]


def _tree(pkg: str, extended: bool, typed: bool = False) -> dict[str, str]:
    files = {
        "__init__.py": "",
        "helpers.py": "import {p}.services.orders\n",
        "api/__init__.py": "",
        "api/views.py": "import {p}.services.orders\n",
        "services/__init__.py": "",
        "services/orders.py": "import {p}.domain.models\n",
        "services/billing.py": "import {p}.services.orders\nimport {p}.api\n",
        "domain/__init__.py": "",
        "domain/models.py": "import os\nimport {p}.api.views\n",
        "domain/events.py": "import {p}.helpers\n",
        "domain/rules.py": "import {p}.adapters.db\nimport {p}.domain.events\n",
        "adapters/__init__.py": "",
        "adapters/db.py": "import requests\nimport {p}.lib.x\n",
        "lib/__init__.py": "",
        "lib/x.py": "import {p}.lib.y\n",
        "lib/y.py": "import {p}.api\n",
    }
    if extended:  # private modules, cycles between siblings below the top, and an __init__ cycle
        files |= {
            "helpers.py": "import {p}.services.orders\nimport {p}.services._cache\n"
            "import {p}.lib._impl.core\n",
            "domain/__init__.py": "from . import events\n",
            # imports its own package's __init__, which imports it back: no sibling cycle
            "domain/events.py": "import {p}.helpers\nimport {p}.domain\n",
            "domain/rules.py": "import {p}.adapters.db\nimport {p}.domain.events\n"
            "import {p}.domain._internal\n",
            "domain/_internal.py": "",
            "lib/x.py": "import {p}.lib.y\nimport {p}.lib._impl.core\n",
            "lib/y.py": "import {p}.api\nimport {p}.lib._impl\n",
            "lib/_impl/__init__.py": "",
            "lib/_impl/core.py": "import {p}.lib.y\nimport {p}.services._cache\n",
            "services/_cache.py": "",
        }
    if typed:  # an import made only for the type checker
        files["domain/typed.py"] = (
            "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import {p}.api.views\n"
        )
    return {f"{pkg}/{path}": source.format(p=pkg) for path, source in files.items()}


CONTRACTS = {
    "layers": """
[importlinter:contract:layers]
name = Layers
type = layers
layers =
    {p}.api
    {p}.services
    {p}.domain
""",
    "containers": """
[importlinter:contract:containers]
name = Containers
type = layers
containers =
    {p}
layers =
    api : helpers
    services
    domain | lib
    adapters
ignore_imports =
    {p}.domain.* -> {p}.api.views
""",
    "forbidden": """
[importlinter:contract:forbidden]
name = Forbidden
type = forbidden
source_modules =
    {p}.domain
    {p}.adapters
forbidden_modules =
    {p}.api
    requests
""",
    "direct": """
[importlinter:contract:direct]
name = Direct only
type = forbidden
source_modules =
    {p}.domain
forbidden_modules =
    {p}.api
    {p}.services
allow_indirect_imports = True
""",
    "independence": """
[importlinter:contract:independence]
name = Independence
type = independence
modules =
    {p}.domain
    {p}.lib
    {p}.api
ignore_imports =
    {p}.lib.** -> {p}.api
""",
}


_ORIGINAL_TREE = frozenset(CONTRACTS)
CONTRACTS |= {
    "exhaustive": """
[importlinter:contract:exhaustive]
name = Exhaustive
type = layers
containers =
    {p}
exhaustive = True
exhaustive_ignores =
    helpers
layers =
    api
    services
    (missing)
    domain
""",
    "forbidden_modules_only": """
[importlinter:contract:modules]
name = Not as packages
type = forbidden
source_modules =
    {p}.lib.x
    {p}.domain.*
forbidden_modules =
    {p}.lib
    {p}.api.views
as_packages = False
""",
    "protected": """
[importlinter:contract:protected]
name = Protected
type = protected
protected_modules =
    {p}.services
    {p}.lib.*
allowed_importers =
    {p}.api
    {p}.adapters.db
    {p}.*.rules
broken_contract_guidance = Go through the API.
""",
    "protected_modules_only": """
[importlinter:contract:protected]
name = Protected modules
type = protected
protected_modules =
    {p}.lib
    {p}.domain.events
allowed_importers =
    {p}.domain
as_packages = False
""",
    "wildcards": """
[importlinter:contract:wildcards]
name = Wildcards
type = forbidden
source_modules =
    {p}.*.rules
    {p}.lib.*
forbidden_modules =
    {p}.*.views
    {p}.services.**
""",
    "independence_wildcards": """
[importlinter:contract:independent]
name = Independent domain modules
type = independence
modules =
    {p}.domain.*
""",
    "wildcard_containers": """
[importlinter:contract:containers]
name = Every package layered alike
type = layers
containers =
    {p}.*
layers =
    (events)
    (y)
    (rules)
    (x)
""",
    "type_checking_kept": """
[importlinter:contract:layers]
name = Layers with type-checking imports
type = layers
layers =
    {p}.api
    {p}.domain
""",
    "type_checking_excluded": """
[importlinter:contract:layers]
name = Layers without type-checking imports
type = layers
layers =
    {p}.api
    {p}.domain
""",
    "private_modules": """
[importlinter:contract:private]
name = Private
type = private_modules
ignore_imports =
    {p}.helpers -> {p}.services._cache
""",
    "private_scoped": """
[importlinter:contract:private]
name = Private in lib
type = private_modules
packages_with_private_modules =
    {p}.lib
""",
    "acyclic_siblings": """
[importlinter:contract:acyclic]
name = Acyclic
type = acyclic_siblings
ancestors =
    {p}
""",
    "acyclic_shallow": """
[importlinter:contract:acyclic]
name = Acyclic, one level
type = acyclic_siblings
ancestors =
    {p}.*
depth = 0
skip_descendants =
    {p}.lib._impl
""",
}


def _importlinter_pairs(config: Path) -> dict[str, set[tuple[str, ...]]]:
    from importlinter.application import use_cases
    from importlinter.configuration import configure

    configure()
    use_cases._register_built_in_contract_types()  # what `lint-imports` does before reporting
    report = use_cases.create_report(use_cases.read_user_options(str(config)), cache_dir=None)
    out: dict[str, set[tuple[str, ...]]] = {}
    for contract, check in report.get_contracts_and_checks():
        chains: set[tuple[str, ...]] = set()
        chains.update((m,) for m in check.metadata.get("undeclared_modules", ()))
        for entry in check.metadata.get("illegal_imports", []):  # protected, private_modules
            links = entry.illegal_links if hasattr(entry, "illegal_links") else [entry]
            chains.update((link["importer"], link["imported"]) for link in links)
        chains.update((p,) for p in check.metadata.get("cycle_breakers_by_package", {}))
        data: list[dict[str, Any]] = [
            *check.metadata.get("invalid_chains", []),
            *check.metadata.get("invalid_dependencies", []),
        ]
        for entry in data:
            for found in entry.get("chains", entry.get("routes", [])):
                links = found["chain"] if isinstance(found, dict) else found
                middle = tuple(link["imported"] for link in links[:-1])
                heads = [links[0]["importer"]]
                tails = [links[-1]["imported"]]
                if isinstance(found, dict):
                    heads += [link["importer"] for link in found["extra_firsts"]]
                    tails += [link["imported"] for link in found["extra_lasts"]]
                chains.update((h, *middle, t) for h in heads for t in tails)
        out[contract.name] = chains
    return out


@pytest.mark.parametrize("case", sorted(CONTRACTS))
def test_same_violations_as_import_linter(
    case: str, tmp_path: Path, analyse_dir: AnalyseDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = f"ilt_{case}"
    typed = case.startswith("type_checking")
    extended = case not in _ORIGINAL_TREE | {"exhaustive"} and not typed
    for path, source in _tree(pkg, extended, typed).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    main = "include_external_packages = True\n"
    if case == "type_checking_excluded":
        main += "exclude_type_checking_imports = True\n"
    ini = f"[importlinter]\nroot_package = {pkg}\n{main}" + CONTRACTS[case].format(p=pkg)
    (tmp_path / ".importlinter").write_text(ini)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)

    theirs = _importlinter_pairs(tmp_path / ".importlinter")
    config = load_project_config({".importlinter": ini.encode()})
    result = analyze_architecture(analyse_dir(tmp_path, pkg), config)
    ours: dict[str, set[tuple[str, ...]]] = {name: set() for name in theirs}
    for v in result.violations:
        if v.contract_type == "acyclic_siblings":  # compared by the package holding the cycle
            ours[v.contract].add((v.importer.rpartition(".")[0],))
        else:
            ours[v.contract].add(v.chain)

    assert ours == theirs
    assert any(theirs.values())  # each case breaks its contract somewhere
    typed = (f"{pkg}.domain.typed", f"{pkg}.api.views")
    if case.startswith("type_checking"):  # the import under TYPE_CHECKING counts unless excluded
        assert (typed in theirs[next(iter(theirs))]) is (case == "type_checking_kept")


@pytest.mark.parametrize("alerting", ["none", "warn", "error"])
def test_an_ignore_line_matching_nothing_is_reported_as_import_linter_does(
    alerting: str, tmp_path: Path, analyse_dir: AnalyseDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = f"ilt_unmatched_{alerting}"
    for path, source in _tree(pkg, extended=False).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    ini = f"""[importlinter]
root_package = {pkg}
[importlinter:contract:independence]
name = Independence
type = independence
modules =
    {pkg}.domain
    {pkg}.lib
ignore_imports =
    {pkg}.lib.** -> {pkg}.api
    {pkg}.api -> {pkg}.lib
unmatched_ignore_imports_alerting = {alerting}
"""
    (tmp_path / ".importlinter").write_text(ini)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = analyze_architecture(
        analyse_dir(tmp_path, pkg), load_project_config({".importlinter": ini.encode()})
    )
    ours = [(w.level, w.message) for w in result.contract_warnings]

    if alerting == "error":  # lint-imports stops on it; coderev's architecture gate fails on it
        with pytest.raises(Exception, match=f"{pkg}.api -> {pkg}.lib"):
            _importlinter_pairs(tmp_path / ".importlinter")
        assert ours == [
            ("error", f"ignore_imports line '{pkg}.api -> {pkg}.lib' matches no import "
             "(unmatched_ignore_imports_alerting = error)")
        ]  # fmt: skip
        return
    from importlinter.application import use_cases
    from importlinter.configuration import configure

    configure()
    use_cases._register_built_in_contract_types()
    report = use_cases.create_report(
        use_cases.read_user_options(str(tmp_path / ".importlinter")), cache_dir=None
    )
    [(_, check)] = list(report.get_contracts_and_checks())
    assert len(ours) == len(check.warnings) == (1 if alerting == "warn" else 0)
    assert all(f"{pkg}.api -> {pkg}.lib" in w for w in check.warnings)
