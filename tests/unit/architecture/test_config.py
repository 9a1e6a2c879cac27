"""Reading [tool.coderev], .coderev.toml and import-linter's INI / setup.cfg / pyproject configs."""

from __future__ import annotations

from pathlib import Path

import pytest

from coderev.architecture.config import load_config_file, load_project_config
from coderev.domain.architecture import UnsupportedContract
from coderev.domain.config import (
    AcyclicSiblingsContract,
    ForbiddenContract,
    IndependenceContract,
    LayersContract,
    ProjectConfig,
    Thresholds,
)
from coderev.domain.errors import ConfigError

PYPROJECT = b"""
[project]
name = "shop"

[tool.coderev]
root_packages = ["shop"]
exclude = ["src/shop/generated/*"]
ruff_select = ["E", "S"]

[tool.coderev.thresholds]
max_complexity = 12
min_maintainability = 15

[[tool.coderev.contracts]]
name = "Layers"
type = "layers"
layers = ["shop.api", "shop.services | shop.jobs", "shop.domain"]
ignore_imports = ["shop.domain.* -> shop.api.schemas"]

[[tool.coderev.contracts]]
name = "No adapters"
type = "forbidden"
source_modules = ["shop.domain"]
forbidden_modules = ["shop.adapters", "requests"]
allow_indirect_imports = true
"""

IMPORTLINTER_INI = b"""
[importlinter]
root_package = shop

[importlinter:contract:layers]
name = Layered
type = layers
containers =
    shop
exhaustive = true
exhaustive_ignores =
    legacy
    scripts
layers =
    api
    services : jobs
    (domain)
ignore_imports =
    shop.api.* -> shop.domain.secret
    # a comment line inside the list
    shop.jobs -> shop.api

[importlinter:contract:indep]
name=Independent features
type=independence
modules=
    shop.cart
    shop.orders

[importlinter:contract:forbid]
name = Domain is pure
type = forbidden
source_modules = shop.domain
forbidden_modules =
    django
    shop.adapters
allow_indirect_imports = True

[importlinter:contract:acyclic]
name = Acyclic
type = acyclic_siblings
ancestors = shop
"""


def test_tool_coderev_in_pyproject() -> None:
    config = load_project_config({"pyproject.toml": PYPROJECT})
    assert config.root_packages == ("shop",)
    assert config.exclude == ("src/shop/generated/*",)
    assert config.ruff_select == ("E", "S")
    assert config.thresholds == Thresholds(max_complexity=12, min_maintainability=15.0)
    assert config.contracts == (
        LayersContract(
            "Layers",
            (("shop.api",), ("shop.services", "shop.jobs"), ("shop.domain",)),
            ignore_imports=(("shop.domain.*", "shop.api.schemas"),),
            layer_independence=(True, True, True),
        ),
        ForbiddenContract(
            "No adapters",
            ("shop.domain",),
            ("shop.adapters", "requests"),
            allow_indirect_imports=True,
        ),
    )
    assert config.sources == ("pyproject.toml [tool.coderev]",)


def test_no_configuration_gives_defaults() -> None:
    assert load_project_config({}) == ProjectConfig()
    assert load_project_config({"pyproject.toml": b"[project]\nname='x'\n"}) == ProjectConfig()


def test_coderev_toml_wins_over_pyproject() -> None:
    toml = b'root_packages = ["other"]\n[thresholds]\nmax_nesting = 2\n'
    config = load_project_config({"pyproject.toml": PYPROJECT, ".coderev.toml": toml})
    assert config.root_packages == ("other",)
    assert config.thresholds.max_nesting == 2
    assert config.contracts == ()
    assert config.sources == (".coderev.toml",)


@pytest.mark.parametrize("name", [".importlinter", "setup.cfg"])
def test_importlinter_ini(name: str) -> None:
    data = (
        b"[metadata]\nname = shop\n" + IMPORTLINTER_INI if name == "setup.cfg" else IMPORTLINTER_INI
    )
    config = load_project_config({name: data})
    assert config.root_packages == ("shop",)
    layers, indep, forbid, acyclic = config.contracts
    assert layers == LayersContract(
        "Layered",
        (("api",), ("services", "jobs"), ("(domain)",)),
        containers=("shop",),
        independent_siblings=False,
        ignore_imports=(("shop.api.*", "shop.domain.secret"), ("shop.jobs", "shop.api")),
        layer_independence=(True, False, True),
        exhaustive=True,
        exhaustive_ignores=("legacy", "scripts"),
    )
    assert indep == IndependenceContract("Independent features", ("shop.cart", "shop.orders"))
    assert forbid == ForbiddenContract(
        "Domain is pure", ("shop.domain",), ("django", "shop.adapters"), allow_indirect_imports=True
    )
    assert acyclic == AcyclicSiblingsContract("Acyclic", ("shop",))
    assert config.unsupported_contracts == ()
    assert config.sources == (f"{name} [importlinter]",)


def test_every_import_linter_type_is_read_and_custom_classes_are_listed_unsupported() -> None:
    ini = b"""
[importlinter]
root_package = shop
contract_types =
    no_print: shop_lint.contracts.NoPrintContract
    layers: shop_lint.contracts.StricterLayers

[importlinter:contract:protected]
name = Protected
type = protected
protected_modules = shop.db.*
allowed_importers = shop.repositories
as_packages = False
broken_contract_guidance = Go through the repositories.

[importlinter:contract:private]
name = Private
type = private_modules
unmatched_ignore_imports_alerting = warn

[importlinter:contract:acyclic]
name = Acyclic
type = acyclic_siblings
ancestors = shop
depth = 2
skip_descendants = shop.vendored

[importlinter:contract:forbidden]
name = Not as packages
type = forbidden
source_modules = shop.a
forbidden_modules = shop.b
as_packages = false

[importlinter:contract:custom]
name = No print
type = no_print

[importlinter:contract:overridden]
name = Stricter layers
type = layers
layers = shop.a
"""
    config = load_project_config({".importlinter": ini})
    assert [type(c).__name__ for c in config.contracts] == [
        "ProtectedContract", "PrivateModulesContract", "AcyclicSiblingsContract",
        "ForbiddenContract",
    ]  # fmt: skip
    assert config.contracts[2] == AcyclicSiblingsContract(
        "Acyclic", ("shop",), depth=2, skip_descendants=("shop.vendored",)
    )
    assert config.contracts[3].as_packages is False  # type: ignore[union-attr]
    assert config.contracts[0].guidance == "Go through the repositories."
    unsupported = {(u.name, u.type): u.reason for u in config.unsupported_contracts}
    assert unsupported == {
        ("No print", "no_print"): "coderev does not run the project's own contract class "
        "(shop_lint.contracts.NoPrintContract)",
        ("Stricter layers", "layers"): "coderev does not run the project's own contract class "
        "(shop_lint.contracts.StricterLayers)",
    }


def test_importlinter_in_pyproject_merges_with_coderev() -> None:
    data = (
        PYPROJECT
        + b"""
[tool.importlinter]
root_packages = ["shop", "plugins"]
include_external_packages = true

[[tool.importlinter.contracts]]
name = "Plugins independent"
type = "independence"
modules = ["plugins.a", "plugins.b"]

[[tool.importlinter.contracts]]
name = "Layers"
type = "layers"
layers = ["x", "y"]

[[tool.importlinter.contracts]]
name = "Custom"
type = "mypackage.contracts.CustomContract"
"""
    )
    config = load_project_config({"pyproject.toml": data})
    assert config.root_packages == ("shop", "plugins")
    # the coderev contract named "Layers" was first; the import-linter one is not repeated
    assert [c.name for c in config.contracts] == ["Layers", "No adapters", "Plugins independent"]
    assert config.contracts[0].layers[0] == ("shop.api",)  # type: ignore[union-attr]
    assert config.unsupported_contracts == (
        UnsupportedContract(
            "Custom",
            "mypackage.contracts.CustomContract",
            "pyproject.toml [tool.importlinter] contracts[2]",
            "not an import-linter 2.x contract type, nor one this file registers",
        ),
    )
    assert config.sources == ("pyproject.toml [tool.coderev]", "pyproject.toml [tool.importlinter]")


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"pyproject.toml": b"[tool.coderev]\nroot_packages = 'shop'x\n"},
            "pyproject.toml: invalid TOML",
        ),
        (
            {"pyproject.toml": b"[tool.coderev]\nroot_package = ['shop']\n"},
            "unknown key 'root_package'",
        ),
        (
            {"pyproject.toml": b"[tool.coderev]\nexclude = [1]\n"},
            "exclude must be a list of strings",
        ),
        (
            {".coderev.toml": b"[thresholds]\nmax_complexity = 'high'\n"},
            ".coderev.toml thresholds: max_complexity must be a whole number",
        ),
        ({".coderev.toml": b"[thresholds]\nmax_nesting = true\n"}, "max_nesting must be"),
        (
            {".coderev.toml": b"[[contracts]]\nname = 'x'\ntype = 'layers'\n"},
            ".coderev.toml contracts[0]: layers is missing",
        ),
        (
            {".coderev.toml": b"[[contracts]]\ntype = 'independence'\nmodules = ['a']\n"},
            "contracts[0]: name is missing",
        ),
        (
            {
                ".coderev.toml": b"[[contracts]]\nname = 'x'\ntype = 'forbidden'\n"
                b"source_modules = ['a']\n"
                b"forbidden_modules = ['b']\nallow_indirect_imports = 'maybe'\n"
            },
            "allow_indirect_imports must be true or false",
        ),
        (
            {
                ".coderev.toml": b"[[contracts]]\nname = 'x'\ntype = 'independence'\n"
                b"modules = ['a']\n"
                b"ignore_imports = ['a b']\n"
            },
            "is not 'importer -> imported'",
        ),
        (
            {
                ".coderev.toml": b"[[contracts]]\nname = 'x'\ntype = 'layers'\n"
                b"layers = ['a | b : c']\n"
            },
            "mixes '|' and ':'",
        ),
        (
            {
                ".coderev.toml": b"[[contracts]]\nname = 'x'\ntype = 'independence'\n"
                b"modules = ['a']\n"
                b"layers = ['b']\n"
            },
            "layers is not a setting of independence contracts",
        ),
        (
            {
                ".importlinter": b"[importlinter]\nroot_package = shop\n[importlinter:contract:x]\n"
                b"name = X\n"
            },
            ".importlinter [importlinter:contract:x]: type is missing",
        ),
        ({"setup.cfg": b"not ini at all"}, "setup.cfg: invalid INI"),
    ],
)
def test_bad_configuration_names_the_file_and_key(files: dict[str, bytes], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("|", r"\|")):
        load_project_config(files)


def test_files_below_the_root_are_not_read() -> None:
    assert load_project_config({"sub/pyproject.toml": PYPROJECT}) == ProjectConfig()
    assert load_project_config({"./pyproject.toml": PYPROJECT}).root_packages == ("shop",)


def test_load_config_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(PYPROJECT)
    assert load_config_file(tmp_path / "pyproject.toml").root_packages == ("shop",)
    (tmp_path / "custom.toml").write_bytes(b'root_packages = ["x"]\n')
    assert load_config_file(str(tmp_path / "custom.toml")).root_packages == ("x",)
    (tmp_path / "lint.ini").write_bytes(IMPORTLINTER_INI)
    assert len(load_config_file(tmp_path / "lint.ini").contracts) == 4
    with pytest.raises(ConfigError, match="cannot read"):
        load_config_file(tmp_path / "missing.toml")
    (tmp_path / "empty" / "pyproject.toml").parent.mkdir()
    (tmp_path / "empty" / "pyproject.toml").write_bytes(b"[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match="holds no coderev or import-linter configuration"):
        load_config_file(tmp_path / "empty" / "pyproject.toml")
