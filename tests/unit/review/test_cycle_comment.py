"""The offline reviewer's CR-ARCH-002 comment: the cycle's size and the cut, import by import."""

from __future__ import annotations

from typing import Any

from coderev.analysis.python_file import analyze_python_file
from coderev.architecture.analyze import analyze_architecture, cycle_findings
from coderev.domain.config import ProjectConfig, Thresholds
from coderev.review.offline import OfflineReviewer
from coderev.review.posting import post_everything

TREE = {
    # The package re-exports its submodules; they import names back from the package __init__.
    "shop/__init__.py": "",
    "shop/checks/__init__.py": "from .stock import check_stock\nfrom .price import check_price\n",
    "shop/checks/stock.py": "from shop.checks import registry\nfrom shop.checks import Error\n",
    "shop/checks/price.py": "from shop.checks import Error, registry\n",
    "shop/checks/registry.py": "",
    # A deferred import closes another loop: information, never a comment.
    "shop/orders.py": "import shop.inventory\n",
    "shop/inventory.py": "def reserve():\n    import shop.orders\n",
}


def test_the_cycle_comment_names_size_and_every_cut_import(build: Any) -> None:
    files = [analyze_python_file(p, s.encode(), Thresholds()) for p, s in TREE.items()]
    arch = analyze_architecture(files, ProjectConfig())
    findings = cycle_findings(arch)
    assert [f.extra["modules"] for f in findings] == [
        "shop.checks shop.checks.price shop.checks.stock"
    ]
    # a cycle the code already had is not posted (see posting); here every comment is written
    review = OfflineReviewer(posting=post_everything).review(
        build.subject(findings, architecture=arch)
    )
    (comment,) = review.comments
    assert comment.title.startswith("Import cycle: 3 modules import each other at import time")
    # The re-exports in shop/checks/__init__.py are the package's API: the cut is the
    # submodules' imports of the package, each at its file and line.
    assert "shop.checks.price -> shop.checks (shop/checks/price.py:1)" in comment.suggestion
    assert "shop.checks.stock -> shop.checks (shop/checks/stock.py:2)" in comment.suggestion
    assert "shop/checks/__init__.py" not in comment.suggestion
    assert "partially initialised" in comment.why
    assert [c.kind.value for c in arch.other_cycles] == ["deferred"]
    assert "Import each name from the module that defines it" in comment.suggestion
