"""report.sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Every finding is a result, architecture violations and cycles included, each with a
`partialFingerprints` entry so code scanning tracks it across commits. Each rule's metadata
comes from the rule catalogue (coderev.rules): its title, why and suggestion, help link, CWE
tags (`external/cwe/cwe-NNN`), its precision, and a default level and, for security rules,
`security-severity` (what GitHub code scanning ranks alerts by) from the severity policy's
level in product code. Comments AI models wrote are results too (coderev.reports.sarif_ai).
"""

from __future__ import annotations

from typing import Any

from coderev.domain.architecture import Cycle
from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.report import ReviewResult
from coderev.domain.roles import FileRole
from coderev.reports.json_format import ai_review_dict, review_context_dict
from coderev.reports.lint_config_text import lint_config_dict
from coderev.reports.sarif_ai import ai_results, ai_rule
from coderev.rules import Catalogue, default_catalogue
from coderev.rules.policy import severity as policy_severity

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


def to_sarif(result: ReviewResult) -> dict[str, Any]:
    baseline_used = result.findings_drift is not None
    rule_ids = sorted({f.rule_id for f in result.findings})
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    first: dict[str, Finding] = {}
    for f in result.findings:
        first.setdefault(f.rule_id, f)
    book = default_catalogue()
    ai = ai_results(result.review, len(rule_ids))
    properties: dict[str, Any] = {"source": result.source,
                                  "reviewContext": review_context_dict(result)}  # fmt: skip
    if result.review.ai is not None:
        properties["aiReview"] = ai_review_dict(result.review.ai)
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
                        "rules": [_rule(first[r], book) for r in rule_ids]
                        + ([ai_rule()] if ai else []),
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": result.source}}},
                "results": [
                    _with_feedback(
                        _with_chain(_result(f, index[f.rule_id], baseline_used), f, result),
                        f,
                        result,
                    )
                    for f in result.findings
                ]
                + ai,
                "invocations": [_invocation(result)],
                "properties": properties,
            }
        ],
    }


def _unchecked_contracts(result: ReviewResult) -> dict[str, Any]:
    """A contract coderev did not check is a configuration problem of the run, not a result:
    SARIF's toolConfigurationNotifications, one per contract, at its configuration file."""
    notifications = []
    for u in result.architecture.contracts_unsupported:
        config_file = u.source.split(" ", 1)[0]
        notifications.append(
            {
                "descriptor": {"id": "unsupported-contract"},
                "level": "warning",
                "message": {
                    "text": f"contract {u.name!r} (type {u.type}, {u.source}) was not checked: "
                    f"{u.reason}"
                },
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": config_file}}}],
                "properties": {"contract": u.name, "type": u.type, "source": u.source},
            }
        )
    return {"executionSuccessful": True, "toolConfigurationNotifications": notifications}


def _invocation(result: ReviewResult) -> dict[str, Any]:
    """The run's invocation: contracts coderev did not check and the lint configuration's
    warnings as toolConfigurationNotifications; how ruff was configured (report.json's
    `lint_config`) as its properties."""
    invocation = _unchecked_contracts(result)
    config = result.lint_config
    if config is not None:
        invocation["properties"] = {"lintConfig": lint_config_dict(config)}
        invocation["toolConfigurationNotifications"] += [
            {"descriptor": {"id": "lint-configuration"}, "level": "warning", "message": {"text": w}}
            for w in config.warnings
        ]
    return invocation


def _rule(f: Finding, book: Catalogue) -> dict[str, Any]:
    """The rule's reportingDescriptor, from its catalogue entry (`f` is its first finding: the
    fallback for a rule the catalogue lacks)."""
    entry = book.rule(f.rule_id)
    known = f.rule_id in book
    title = entry.title if known else f.extra.get("rule_name", f.rule_id)
    why = entry.why or title
    level = (policy_severity(f.rule_id, FileRole.SOURCE, book=book) if known else None) or (
        f.severity
    )
    help_text = " ".join(part for part in (why, entry.suggestion) if part)
    markdown = f"**{title}**\n\n{why}"
    if entry.suggestion:
        markdown += f"\n\n{entry.suggestion}"
    category = entry.category if known else f.category
    rule: dict[str, Any] = {
        "id": f.rule_id,
        "name": entry.name if known else title,
        "shortDescription": {"text": title},
        "fullDescription": {"text": why},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": LEVEL[level]},
        "properties": {
            "tags": [category.value, entry.origin.value, *entry.cwe_tags],
            "precision": entry.precision.value,
        },
    }
    if uri := entry.help_uri or f.extra.get("help_uri"):
        rule["helpUri"] = uri
    if category is Category.SECURITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[level]
    return rule


def _with_feedback(
    sarif_result: dict[str, Any], f: Finding, result: ReviewResult
) -> dict[str, Any]:
    """A finding of a rule the project's users rarely accept is marked `collapsed`; with a
    server to send verdicts to, the message links accept / dismiss / wrong (markdown, and
    `properties.feedback` for tools that read properties)."""
    context = result.context
    if f.rule_id in context.collapsed_rules:
        sarif_result["properties"]["collapsed"] = True
    links = {v: context.feedback_link(f.fingerprint, f.rule_id, v)
             for v in ("accepted", "dismissed", "wrong")}  # fmt: skip
    if all(links.values()):
        sarif_result["properties"]["feedback"] = links
        text = sarif_result["message"]["text"]
        sarif_result["message"]["markdown"] = (
            f"{text}\n\n[accept]({links['accepted']}) · [dismiss]({links['dismissed']}) · "
            f"[wrong]({links['wrong']})"
        )
    return sarif_result


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
            "role": f.role.value,  # the file's role: code scanning can filter tests out
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
    cycle = _cycle_of(f, result)
    if cycle is not None:
        return cycle.path
    files = {m.name: m.path for m in arch.modules}
    for c in arch.cycles:  # a finding that does not name its modules: a cycle through its file
        if any(files.get(m) == f.path for m in c.modules):
            return c.path
    return ()


def _cycle_of(f: Finding, result: ReviewResult) -> Cycle | None:
    """The import-time cycle a CR-ARCH-002 finding reports (its modules are in `extra`)."""
    members = f.extra.get("modules")
    if f.category is not Category.ARCHITECTURE or not members:
        return None
    return next((c for c in result.architecture.cycles if " ".join(c.modules) == members), None)


def _with_chain(sarif_result: dict[str, Any], f: Finding, result: ReviewResult) -> dict[str, Any]:
    """Add each module of the chain as a related location, so code scanning can link them."""
    if f.category is not Category.ARCHITECTURE:
        return sarif_result  # no chain; and no module table per finding (Django: 1,749 x 2,762)
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
    cycle = _cycle_of(f, result)
    if cycle is not None:
        # The imports to remove, each at its line, so code scanning links straight to them.
        related += [
            {
                "id": len(chain) + i,
                "physicalLocation": {
                    "artifactLocation": {"uri": e.path, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(line, 1)},
                },
                "message": {"text": f"cut import {e.source} -> {e.target}"},
            }
            for i, (e, line) in enumerate((e, n) for e in cycle.cut for n in e.lines)
            if e.path
        ]
        sarif_result["properties"]["cycle_size"] = cycle.size
        sarif_result["properties"]["cut"] = [f"{e.source} -> {e.target}" for e in cycle.cut]
    if related:
        sarif_result["relatedLocations"] = related
        sarif_result["properties"]["chain"] = list(chain)
    return sarif_result
