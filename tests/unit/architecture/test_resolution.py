"""RawImport -> ImportEdge: absolute, relative, submodule from-imports, externals, TYPE_CHECKING."""

from __future__ import annotations

from collections.abc import Callable

from coderev.architecture.analyze import analyze_architecture
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]

TREE = {
    "src/app/__init__.py": "from . import util\nfrom . import VERSION\n",
    "src/app/util.py": "",
    "src/app/core/__init__.py": "from .models import Model\n",
    "src/app/core/models.py": "class Model: ...\n",
    "src/app/core/service.py": (
        "import app.core.models\n"  # 1: module
        "import app.core.models.Model\n"  # 2: nearest known ancestor
        "from app.core import models\n"  # 3: submodule
        "from app.core import Model\n"  # 4: a name in the package
        "from . import models as m\n"  # 5: relative, sibling module
        "from .. import util\n"  # 6: two dots
        "from ..util import helper\n"  # 7
        "from ...outside import x\n"  # 8: above the top package: dropped
        "import requests.adapters\n"  # 9: external, top-level name
        "from os import path\n"  # 10
        "from typing import TYPE_CHECKING\n"  # 11
        "if TYPE_CHECKING:\n"
        "    from app.util import Thing\n"  # 13
        "def lazy():\n"
        "    from app import util\n"  # 15: imports in functions count
        "from .models import *\n"  # 16
    ),
}


def edges_of(result_imports: tuple, source: str) -> set[tuple[str, int, bool, bool]]:  # type: ignore[type-arg]
    return {
        (e.target, e.line, e.type_checking, e.external)
        for e in result_imports
        if e.source == source
    }


def test_every_resolution_case(analyse: Analyse) -> None:
    result = analyze_architecture(analyse(TREE), ProjectConfig())
    assert edges_of(result.imports, "app.core.service") == {
        ("app.core.models", 1, False, False),
        ("app.core.models", 2, False, False),
        ("app.core.models", 3, False, False),
        ("app.core", 4, False, False),
        ("app.core.models", 5, False, False),
        ("app.util", 6, False, False),
        ("app.util", 7, False, False),
        ("requests", 9, False, True),
        ("os", 10, False, True),
        ("typing", 11, False, True),
        ("app.util", 13, True, False),
        ("app.util", 15, False, False),
        ("app.core.models", 16, False, False),
    }


def test_from_dot_import_in_a_package_init(analyse: Analyse) -> None:
    result = analyze_architecture(analyse(TREE), ProjectConfig())
    # `from . import util` is the submodule; `from . import VERSION` a name in app itself,
    # which grimp records as a self-import.
    assert edges_of(result.imports, "app") == {
        ("app.util", 1, False, False),
        ("app", 2, False, False),
    }
    assert edges_of(result.imports, "app.core") == {("app.core.models", 1, False, False)}


def test_one_edge_per_target_and_line(analyse: Analyse) -> None:
    tree = {"p/__init__.py": "", "p/a.py": "", "p/b.py": "from p.a import x, y, z\n"}
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert [(e.source, e.target, e.line) for e in result.imports] == [("p.b", "p.a", 1)]


def test_type_checking_only_when_every_statement_on_the_line_is(analyse: Analyse) -> None:
    tree = {
        "p/__init__.py": "",
        "p/a.py": "",
        "p/b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import p.a\n",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    internal = [e for e in result.imports if not e.external]
    assert [(e.target, e.type_checking) for e in internal] == [("p.a", True)]


def test_relative_import_in_a_top_level_module_is_dropped(analyse: Analyse) -> None:
    tree = {"script.py": "from . import sibling\nimport json\n"}
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert [(e.target, e.external) for e in result.imports] == [("json", True)]


def test_namespace_package_imports(analyse: Analyse) -> None:
    tree = {
        "src/acme/billing/__init__.py": "",
        "src/acme/billing/invoice.py": "from acme.tools import cli\nfrom acme import tools\n",
        "src/acme/tools/cli.py": "",
    }
    result = analyze_architecture(analyse(tree), ProjectConfig())
    assert edges_of(result.imports, "acme.billing.invoice") == {
        ("acme.tools.cli", 1, False, False),
        ("acme.tools", 2, False, False),
    }
