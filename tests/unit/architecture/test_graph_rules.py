"""Cypher architecture rules in the project config: parsed strictly, and never dropped silently
where the graph store cannot run them (their run on FalkorDB: tests/integration)."""

from __future__ import annotations

import pytest

from coderev.adapters.embedded.graph_store import SqliteGraphStore
from coderev.architecture.config import load_project_config
from coderev.architecture.graph_rules import check_graph_rules
from coderev.domain.architecture import ArchitectureResult
from coderev.domain.config import GraphRule
from coderev.domain.errors import ConfigError

RULE = """
[[tool.coderev.graph_rules]]
name = "domain-free-of-adapters"
cypher = '''
MATCH (a:Module {graph: $graph})-[:IMPORTS]->(b:Module {graph: $graph})
WHERE a.name STARTS WITH 'shop.domain' AND b.name STARTS WITH 'shop.adapters'
RETURN a.name AS importer, b.name AS imported'''
guidance = "Depend on a port in shop.domain.ports instead."
"""


def test_graph_rules_are_read_from_tool_coderev() -> None:
    config = load_project_config({"pyproject.toml": RULE.encode()})
    (rule,) = config.graph_rules
    assert rule.name == "domain-free-of-adapters"
    assert rule.cypher.strip().startswith("MATCH (a:Module {graph: $graph})")
    assert rule.guidance == "Depend on a port in shop.domain.ports instead."


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[[tool.coderev.graph_rules]]\nname = "x"\n', "needs a name and a cypher"),
        ('[[tool.coderev.graph_rules]]\nname = "x"\ncypher = 1\n', "must be strings"),
        ('[[tool.coderev.graph_rules]]\nname = "x"\ncypher = "R"\nsql = "y"\n', "unknown key"),
        ("[tool.coderev]\ngraph_rules = 'MATCH'\n", "list of tables"),
        (RULE + RULE.replace("[[tool.coderev.graph_rules]]", "[[tool.coderev.graph_rules]]"),
         "a second rule"),
    ],
)  # fmt: skip
def test_a_malformed_rule_is_a_config_error(text: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        load_project_config({"pyproject.toml": text.encode()})


def test_on_the_sqlite_store_every_rule_is_listed_unsupported_with_the_way_out() -> None:
    empty = ArchitectureResult((), (), (), (), (), ())
    rules = (GraphRule("a", "MATCH (n) RETURN n"), GraphRule("b", "MATCH (n) RETURN n"))
    for store in (SqliteGraphStore(), None):
        result = check_graph_rules(empty, rules, store, "g")
        assert [(u.name, u.type) for u in result.contracts_unsupported] == [
            ("a", "cypher"),
            ("b", "cypher"),
        ]
        assert all("NEO4J_URI" in u.reason for u in result.contracts_unsupported)
        assert result.violations == () and result.contracts_checked == ()
