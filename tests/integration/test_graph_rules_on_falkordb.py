"""A project's Cypher architecture rules run by the review on the graph it just stored in
FalkorDB, reported as contract violations (CR-ARCH-001) beside the import-linter contracts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.adapters.cypher_graph import CypherGraphStore
from coderev.adapters.falkordb import FalkorSession
from coderev.analysis.archive import read_source
from coderev.pipeline.options import ReviewOptions
from coderev.pipeline.run import run_review
from coderev.ports import GraphScope

pytestmark = pytest.mark.integration

PYPROJECT = """
[tool.coderev]
root_packages = ["shop"]

[[tool.coderev.graph_rules]]
name = "domain-free-of-adapters"
cypher = '''
MATCH (a:Module {graph: $graph})-[:IMPORTS]->(b:Module {graph: $graph})
WHERE a.name STARTS WITH 'shop.domain' AND b.name STARTS WITH 'shop.adapters'
RETURN a.name AS importer, b.name AS imported'''
guidance = "Depend on a port in shop.domain instead."

[[tool.coderev.graph_rules]]
name = "no-class-without-module"
cypher = '''MATCH (c:Class {graph: $graph}) WHERE NOT ()-[:CONTAINS]->(c)
RETURN c.id AS importer, c.id AS imported'''

[[tool.coderev.graph_rules]]
name = "broken"
cypher = "MATCH (a {graph: $graph} RETURN a"

[[tool.coderev.graph_rules]]
name = "wrong-columns"
cypher = "MATCH (a:Module {graph: $graph}) RETURN a.name AS name LIMIT 1"
"""

FILES = {
    "pyproject.toml": PYPROJECT,
    "shop/__init__.py": "",
    "shop/domain/__init__.py": "",
    "shop/domain/orders.py": (
        "import json\n\nfrom shop.adapters.db import save\n\n\nclass Order:\n    pass\n"
    ),
    "shop/adapters/__init__.py": "",
    "shop/adapters/db.py": "def save(x):\n    return x\n",
}


@pytest.fixture
def store(falkordb_url: str) -> Iterator[CypherGraphStore]:
    with CypherGraphStore(FalkorSession(falkordb_url, f"rules-{uuid.uuid4().hex[:12]}")) as s:
        yield s
        s.session._graph.delete()  # type: ignore[attr-defined]


def test_cypher_rules_become_contract_violations(store: CypherGraphStore, tmp_path: Path) -> None:
    for path, text in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    result = run_review(read_source(tmp_path), ReviewOptions(jobs=1), graph_store=store,
                        graph_id="a-1")  # fmt: skip
    arch = result.architecture
    (violation,) = [v for v in arch.violations if v.contract_type == "cypher"]
    assert (violation.importer, violation.imported) == ("shop.domain.orders", "shop.adapters.db")
    assert (violation.path, violation.line) == ("shop/domain/orders.py", 3)
    assert "domain-free-of-adapters" in arch.contracts_checked
    assert "no-class-without-module" in arch.contracts_checked  # checked, nothing found
    unsupported = {u.name: u.reason for u in arch.contracts_unsupported}
    assert unsupported["broken"].startswith("query failed")
    assert "importer" in unsupported["wrong-columns"]
    finding = next(f for f in result.findings if f.rule_id == "CR-ARCH-001")
    assert finding.path == "shop/domain/orders.py" and finding.line == 3
    assert "domain-free-of-adapters" in finding.message
    assert "Depend on a port in shop.domain instead." in finding.fix_hint
    assert store.scope("a-1") == GraphScope(project=tmp_path.name)
