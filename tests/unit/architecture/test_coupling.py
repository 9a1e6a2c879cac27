"""Package coupling metrics, checked against figures worked out by hand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coderev.architecture.analyze import analyze_architecture
from coderev.domain.architecture import PackageMetrics
from coderev.domain.code import FileAnalysis
from coderev.domain.config import ProjectConfig

Analyse = Callable[[dict[str, str]], list[FileAnalysis]]

TREE = {
    "app/__init__.py": "",
    "app/main.py": "import app.core.service\nimport app.web.views\nimport json\n",
    "app/core/__init__.py": "",
    "app/core/service.py": (
        "import app.core.ports\nimport app.util\n"
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.web.views\n"
        "class Service: ...\n"
    ),
    "app/core/ports.py": (
        "from abc import ABC, abstractmethod\nfrom typing import Protocol\n"
        "class Port(ABC): ...\nclass Clock(Protocol): ...\n"
    ),
    "app/web/__init__.py": "",
    "app/web/views.py": (
        "import app.core.service\nimport app.util\nimport app.web\nclass View: ...\n"
    ),
    "app/util.py": "import os\n",
}


def metrics(analyse: Analyse) -> dict[str, PackageMetrics]:
    result = analyze_architecture(analyse(TREE), ProjectConfig())
    return {m.package: m for m in result.package_metrics}


def test_every_package_gets_figures(analyse: Analyse) -> None:
    assert sorted(metrics(analyse)) == ["app", "app.core", "app.web"]


def test_core_figures_by_hand(analyse: Analyse) -> None:
    core = metrics(analyse)["app.core"]
    # Ca: app.main and app.web.views import inside app.core -> 2
    # Ce: app.core.service imports app.util and (under TYPE_CHECKING) app.web.views -> 2
    # I = 2 / 4; classes Service, Port (ABC), Clock (Protocol): A = 2 / 3; D = |2/3 + 1/2 - 1|
    assert (core.afferent, core.efferent, core.modules) == (2, 2, 3)
    assert (core.classes, core.abstract_classes) == (3, 2)
    assert core.instability == 0.5
    assert core.abstractness == pytest.approx(2 / 3, abs=1e-4)
    assert core.distance == pytest.approx(1 / 6, abs=1e-4)


def test_web_figures_by_hand(analyse: Analyse) -> None:
    web = metrics(analyse)["app.web"]
    # Ca: app.main, app.core.service -> 2. Ce: app.core.service, app.util -> 2 (its import of
    # its own package app.web is inside). One concrete class: A = 0, D = |0 + 0.5 - 1|.
    assert (web.afferent, web.efferent, web.instability) == (2, 2, 0.5)
    assert (web.abstractness, web.distance) == (0.0, 0.5)


def test_root_package_has_no_internal_outside(analyse: Analyse) -> None:
    root = metrics(analyse)["app"]
    # external imports (json, os) never count; nothing internal lies outside the root
    assert (root.afferent, root.efferent, root.instability) == (0, 0, 0.0)
    assert (root.modules, root.classes, root.abstract_classes) == (8, 4, 2)
    assert root.distance == 0.5
