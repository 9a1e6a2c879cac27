"""report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Every finding is a result, architecture violations and cycles included, each with a
`partialFingerprints` entry so code scanning tracks it across commits.
"""

from __future__ import annotations

from typing import Any

from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.report import ReviewResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/coderev/coderev"
FINGERPRINT_KEY = "coderev/v1"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub shows security results by this CVSS-like score.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}

# coderev's own rules: (name, short description, help).
CODEREV_RULES: dict[str, tuple[str, str, str]] = {
    "CR-MET-001": (
        "complex-function",
        "Function cyclomatic complexity above the threshold",
        "Many independent paths make a function hard to test and to change safely. "
        "Extract branches into well-named functions or replace condition chains "
        "with a lookup table.",
    ),
    "CR-MET-002": (
        "long-function",
        "Function longer than the threshold",
        "Long functions mix several concerns. Split the function along its steps.",
    ),
    "CR-MET-003": (
        "too-many-parameters",
        "Function takes more parameters than the threshold",
        "Long parameter lists are easy to call wrongly. Group related parameters "
        "into a value object.",
    ),
    "CR-MET-004": (
        "deep-nesting",
        "Blocks nested deeper than the threshold",
        "Deep nesting hides the main path. Return early and extract inner blocks.",
    ),
    "CR-MET-005": (
        "low-maintainability",
        "File maintainability index below the threshold",
        "A low maintainability index combines size, complexity and few comments. "
        "Split the module and simplify its largest functions.",
    ),
    "CR-PARSE-001": (
        "syntax-error",
        "File does not parse",
        "The file is not valid Python for the interpreter in use; nothing in it was analysed.",
    ),
    "CR-PARSE-002": (
        "too-deep",
        "File too deeply nested to analyse",
        "The parser's nesting limit was reached; generated code should be excluded.",
    ),
    "CR-PARSE-003": (
        "time-budget",
        "File exceeded its analysis time budget",
        "Analysis of this file was stopped so the review could finish.",
    ),
    "CR-PARSE-004": (
        "analysis-crash",
        "Analysing the file killed its process",
        "The file crashed or exhausted the analysis process.",
    ),
    "CR-ARCH-001": (
        "contract-violation",
        "Import breaks an architecture contract",
        "An import (direct or through a chain) crosses a boundary the project's "
        "contracts forbid. Invert the dependency or move the code.",
    ),
    "CR-ARCH-002": (
        "import-cycle",
        "Modules import each other in a cycle",
        "Cycles make modules impossible to understand, test or reuse alone. Cut "
        "the named edge, e.g. by moving the shared piece into a lower module.",
    ),
}


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    baseline_used = result.findings_drift is not None
    rule_ids = sorted({f.rule_id for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    first: dict[str, Finding] = {}
    for f in result.findings:
        first.setdefault(f.rule_id, f)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "coderev",
                        "version": result.tool_versions.get("coderev", "0"),
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(first[r]) for r in rule_ids],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": result.source}}},
                "results": [
                    _with_chain(_result(f, index[f.rule_id], baseline_used), f, result)
                    for f in result.findings
                ],
                "properties": {"source": result.source},
            }
        ],
    }


def _rule(f: Finding) -> dict[str, Any]:
    name, short, help_text = CODEREV_RULES.get(
        f.rule_id, (f.extra.get("rule_name", f.rule_id), f.message, f.fix_hint or f.message)
    )
    rule: dict[str, Any] = {
        "id": f.rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": help_text},
        "help": {"text": help_text, "markdown": f"**{name}** ({f.source}): {help_text}"},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {"tags": [f.category.value, f.source], "precision": "high"},
    }
    if uri := f.extra.get("help_uri"):
        rule["helpUri"] = uri
    if f.category is Category.SECURITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[f.severity]
    return rule


def _result(f: Finding, rule_index: int, baseline_used: bool) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(f.line, 1)}
    if f.column > 0:
        region["startColumn"] = f.column
    if f.end_line is not None and f.end_line >= region["startLine"]:
        region["endLine"] = f.end_line
    message = f.message if not f.fix_hint else f"{f.message}\n\nFix: {f.fix_hint}"
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[f.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": f.path or ".", "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "severity": f.severity.value,
            "category": f.category.value,
            "source": f.source,
        },
    }
    if baseline_used:
        result["baselineState"] = "new" if f.status is FindingStatus.NEW else "unchanged"
    return result


def _chain_of(f: Finding, result: ReviewResult) -> tuple[str, ...]:
    """The import chain an architecture finding reports: a violation's chain or a cycle's path."""
    if f.category is not Category.ARCHITECTURE:
        return ()
    arch = result.architecture
    for v in arch.violations:
        if v.path == f.path and v.line == f.line:
            return v.chain
    files = {m.name: m.path for m in arch.modules}
    for c in arch.cycles:
        if any(files.get(m) == f.path for m in c.modules):
            return c.path
    return ()


def _with_chain(sarif_result: dict[str, Any], f: Finding, result: ReviewResult) -> dict[str, Any]:
    """Add each module of the chain as a related location, so code scanning can link them."""
    chain = _chain_of(f, result)
    files = {m.name: m.path for m in result.architecture.modules}
    related = [
        {
            "id": i,
            "physicalLocation": {"artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"}},
            "message": {"text": f"link {i + 1} of the import chain: {module}"},
        }
        for i, module in enumerate(chain)
        if (path := files.get(module))
    ]
    if related:
        sarif_result["relatedLocations"] = related
        sarif_result["properties"]["chain"] = list(chain)
    return sarif_result
