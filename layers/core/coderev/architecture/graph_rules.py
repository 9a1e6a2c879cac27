"""User-defined architecture rules as Cypher queries over the stored code graph.

A project writes jQAssistant-style constraints in `[[tool.coderev.graph_rules]]`: a query whose
every row is a violation, returning `importer` and `imported` module names (and optionally a
`message`), e.g. "no module in `domain` may import `adapters`":

    MATCH (a:Module {graph: $graph})-[:IMPORTS]->(b:Module {graph: $graph})
    WHERE a.name STARTS WITH 'shop.domain' AND b.name STARTS WITH 'shop.adapters'
    RETURN a.name AS importer, b.name AS imported

Rows become ContractViolations of type "cypher" (so they are CR-ARCH-001 findings, gated and
reported as every other contract's), located at the importer's file and the import's first
line. A rule is never dropped silently: where the graph store cannot run Cypher (the embedded
SQLite store), or its query fails or lacks the two columns, it is an UnsupportedContract with
the reason, which the `architecture` gate fails on unless unsupported contracts are allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from coderev.domain.architecture import (
    ArchitectureResult,
    ContractViolation,
    UnsupportedContract,
)
from coderev.domain.config import GraphRule
from coderev.domain.errors import GraphStoreError
from coderev.ports import GraphQueries, GraphStore

RULE_TYPE = "cypher"
SOURCE = "[tool.coderev] graph_rules"
NO_CYPHER = (
    "a Cypher rule runs on a graph store that speaks Cypher: set NEO4J_URI (Neo4j or FalkorDB); "
    "the embedded SQLite graph store cannot run it"
)


def check_graph_rules(
    result: ArchitectureResult,
    rules: Sequence[GraphRule],
    store: GraphStore | None,
    graph_id: str,
) -> ArchitectureResult:
    """`result` with the rules' violations and checked names, or their reasons not to run."""
    if not rules:
        return result
    if not isinstance(store, GraphQueries):
        unsupported = tuple(
            UnsupportedContract(r.name, RULE_TYPE, SOURCE, NO_CYPHER) for r in rules
        )
        return replace(result, contracts_unsupported=result.contracts_unsupported + unsupported)
    paths = {m.name: m.path for m in result.modules}
    lines: dict[tuple[str, str], int] = {}
    for e in result.imports:
        key = (e.source, e.target)
        lines[key] = min(lines.get(key, e.line), e.line)
    violations: list[ContractViolation] = []
    checked: list[str] = []
    failed: list[UnsupportedContract] = []
    for rule in rules:
        try:
            rows = store.query(graph_id, rule.cypher)
        except GraphStoreError as exc:
            failed.append(UnsupportedContract(rule.name, RULE_TYPE, SOURCE, f"query failed: {exc}"))
            continue
        if any(not {"importer", "imported"} <= row.keys() for row in rows):
            reason = "its rows must have `importer` and `imported` columns (module names)"
            failed.append(UnsupportedContract(rule.name, RULE_TYPE, SOURCE, reason))
            continue
        checked.append(rule.name)
        seen: set[tuple[str, str]] = set()
        for row in rows:
            importer, imported = str(row["importer"]), str(row["imported"])
            if (importer, imported) in seen:
                continue
            seen.add((importer, imported))
            message = row.get("message") or (
                f"{importer} imports {imported}, which the rule {rule.name!r} forbids"
            )
            violations.append(
                ContractViolation(
                    contract=rule.name,
                    contract_type=RULE_TYPE,
                    importer=importer,
                    imported=imported,
                    chain=(importer, imported),
                    path=paths.get(importer) or "",
                    line=lines.get((importer, imported), 1),
                    message=str(message),
                    guidance=rule.guidance,
                )
            )
    return replace(
        result,
        violations=result.violations + tuple(violations),
        contracts_checked=result.contracts_checked + tuple(checked),
        contracts_unsupported=result.contracts_unsupported + tuple(failed),
    )
