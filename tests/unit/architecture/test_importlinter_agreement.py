"""The same contract violations as import-linter itself, from the same .importlinter file.

Each case writes a small package and an INI configuration to tmp_path, runs import-linter's
own report in-process, and compares every broken (importer, imported) pair and its chain with
coderev's, which reads the same file through load_project_config.
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


def _tree(pkg: str) -> dict[str, str]:
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


def _importlinter_pairs(config: Path) -> dict[str, set[tuple[str, ...]]]:
    from importlinter.application import use_cases
    from importlinter.configuration import configure

    configure()
    use_cases._register_built_in_contract_types()  # what `lint-imports` does before reporting
    report = use_cases.create_report(use_cases.read_user_options(str(config)), cache_dir=None)
    out: dict[str, set[tuple[str, ...]]] = {}
    for contract, check in report.get_contracts_and_checks():
        chains: set[tuple[str, ...]] = set()
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
    for path, source in _tree(pkg).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    ini = f"[importlinter]\nroot_package = {pkg}\ninclude_external_packages = True\n" + CONTRACTS[
        case
    ].format(p=pkg)
    (tmp_path / ".importlinter").write_text(ini)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)

    theirs = _importlinter_pairs(tmp_path / ".importlinter")
    config = load_project_config({".importlinter": ini.encode()})
    result = analyze_architecture(analyse_dir(tmp_path, pkg), config)
    ours: dict[str, set[tuple[str, ...]]] = {name: set() for name in theirs}
    for v in result.violations:
        ours[v.contract].add(v.chain)

    assert ours == theirs
    assert any(theirs.values())  # each case breaks its contract somewhere
