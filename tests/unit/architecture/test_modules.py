"""Module names from file paths: packages, src layouts, namespace packages, stubs, orphans."""

from __future__ import annotations

import pytest

from coderev.architecture.modules import discover_modules
from coderev.domain.architecture import ModuleNode
from coderev.domain.errors import ConfigError


def names(paths: list[str], roots: tuple[str, ...] = ()) -> dict[str, ModuleNode]:
    return discover_modules(paths, roots)


def test_regular_package_at_the_root() -> None:
    found = names(["shop/__init__.py", "shop/api/__init__.py", "shop/api/views.py", "setup.py"])
    assert found == {
        "setup": ModuleNode("setup", "setup.py", False),
        "shop": ModuleNode("shop", "shop/__init__.py", True),
        "shop.api": ModuleNode("shop.api", "shop/api/__init__.py", True),
        "shop.api.views": ModuleNode("shop.api.views", "shop/api/views.py", False),
    }


def test_src_layout_and_nested_source_roots() -> None:
    found = names(["src/shop/__init__.py", "src/shop/models.py", "layers/core/app/__init__.py"])
    assert sorted(found) == ["app", "shop", "shop.models"]
    assert found["shop.models"].path == "src/shop/models.py"


def test_namespace_packages_have_no_file() -> None:
    found = names(
        ["src/acme/billing/__init__.py", "src/acme/billing/invoice.py", "src/acme/tools/cli.py"]
    )
    assert found["acme"] == ModuleNode("acme", "", True)
    assert found["acme.tools"] == ModuleNode("acme.tools", "", True)
    assert found["acme.billing"].path == "src/acme/billing/__init__.py"
    assert "acme.tools.cli" in found


def test_stub_ignored_when_the_module_exists_but_stands_in_alone() -> None:
    found = names(["pkg/__init__.py", "pkg/fast.py", "pkg/fast.pyi", "pkg/_native.pyi"])
    assert found["pkg.fast"].path == "pkg/fast.py"
    assert found["pkg._native"].path == "pkg/_native.pyi"


def test_orphans_inside_a_package_and_unimportable_names_are_skipped() -> None:
    found = names(
        [
            "pkg/__init__.py",
            "pkg/data/loader.py",  # no __init__ inside a regular package: grimp skips it
            "pkg/my-dir/x.py",  # not an identifier
            "pkg/some.module.py",  # extra dot
            "pkg/.hidden.py",
            "pkg/unicode5-0-0.py",  # importlib can load it, grimp keeps it
        ]
    )
    assert sorted(found) == ["pkg", "pkg.unicode5-0-0"]


def test_tree_root_init_does_not_make_a_nameless_package() -> None:
    found = names(["__init__.py", "tool/__init__.py", "tool/run.py"])
    assert sorted(found) == ["tool", "tool.run"]


def test_root_packages_restrict_and_locate_the_package() -> None:
    paths = ["tests/test_x.py", "src/shop/__init__.py", "src/shop/a.py", "docs/conf.py"]
    found = names(paths, ("shop",))
    assert sorted(found) == ["shop", "shop.a"]


def test_root_package_that_is_a_namespace_or_a_single_module() -> None:
    found = names(["src/acme/x.py", "six.py"], ("acme", "six"))
    assert found["acme"] == ModuleNode("acme", "", True)
    assert found["six"] == ModuleNode("six", "six.py", False)
    assert "acme.x" in found


def test_missing_root_package_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'shop'"):
        names(["src/other/__init__.py"], ("shop",))
