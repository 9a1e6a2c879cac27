"""report.json: the ReviewResult as a versioned, schema-checked JSON document.

The schema lives beside this module (`schema/report-v1.schema.json`). Output is deterministic:
two runs on the same input differ only in `generated_at` and `timings` (and, after an AI
review, in what the models said and how long they took).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from coderev.domain.ai_review import AIReviewRecord
from coderev.domain.architecture import (
    ArchitectureDrift,
    ArchitectureResult,
    ContractViolation,
    Cycle,
)
from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.gate import GateOutcome
from coderev.domain.metrics import FileMetrics
from coderev.domain.report import ReviewResult
from coderev.domain.review import Review
from coderev.domain.roles import FileRole
from coderev.reports.lint_config_text import lint_config_dict

SCHEMA_VERSION = "1.1"
# 1.2 added what an AI review records (`review.ai`, each comment's `reviewer` and
# `confidence`); a report without them is still written as 1.1, which every 1.1 reader reads.
AI_SCHEMA_VERSION = "1.2"


def generated_now() -> str:
    """A report's `generated_at` for now: UTC, to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def to_json_dict(
    result: ReviewResult, gate: GateOutcome | None = None, generated_at: str | None = None
) -> dict[str, Any]:
    stamp = generated_at or generated_now()
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION if result.review.ai is None else AI_SCHEMA_VERSION,
        "tool": {
            "name": "coderev",
            "version": result.tool_versions.get("coderev", ""),
            "ruff": result.tool_versions.get("ruff", ""),
        },
        "source": result.source,
        "generated_at": stamp,
        "lint_config": lint_config_dict(result.lint_config),
        "summary": _summary(result, gate),
        "files": [
            {
                "path": f.path,
                "language": f.language,
                "role": f.role.value,
                "size": f.size,
                "metrics": _metrics(f.metrics),
            }
            for f in result.files
        ],
        "findings": [finding_dict(f) for f in result.findings],
        "skipped": [
            {"path": s.path, "reason": s.reason.value, "detail": s.detail} for s in result.skipped
        ],
        "architecture": architecture_dict(result.architecture),
        "drift": _drift(result),
        "review": _review(result.review),
        "timings": dict(sorted(result.timings.items())),
        "review_context": review_context_dict(result),
    }
    return report


def review_context_dict(result: ReviewResult) -> dict[str, Any]:
    """Which configuration reviewed (and its experiment and arm), and the collapsed rules."""
    c = result.context
    return {
        "configuration": c.configuration, "configuration_digest": c.configuration_digest,
        "experiment_id": c.experiment_id, "experiment_name": c.experiment_name, "arm": c.arm,
        "project": c.project, "analysis_id": c.analysis_id,
        "collapsed_rules": list(c.collapsed_rules),
        "acceptance": {rule: round(share, 4) for rule, share in sorted(c.acceptance.items())},
        "acceptance_threshold": c.acceptance_threshold, "collapse_note": c.collapse_note,
        "feedback_url": c.feedback_url,
    }  # fmt: skip


def _review(review: Review) -> dict[str, Any]:
    """The review; when an AI review was asked for, who wrote each comment and `ai`: what
    was reviewed by which model, what was not, tokens, cost and latency."""
    comments = []
    for c in review.comments:
        comment: dict[str, Any] = {
            "path": c.path,
            "line": c.line,
            "severity": c.severity.value,
            "category": c.category.value,
            "title": c.title,
            "why": c.why,
            "suggestion": c.suggestion,
            "fingerprints": list(c.fingerprints),
            "role": c.role.value,
        }
        if review.ai is not None:
            comment["reviewer"] = c.reviewer
            comment["confidence"] = c.confidence
        comments.append(comment)
    out: dict[str, Any] = {
        "reviewer": review.reviewer,
        "summary": review.summary,
        "truncated": review.truncated,
        "comments": comments,
    }
    if review.ai is not None:
        out["ai"] = ai_review_dict(review.ai)
    return out


def ai_review_dict(record: AIReviewRecord) -> dict[str, Any]:
    return {
        "requested": record.requested,
        "mode": record.mode.value,
        "note": record.note,
        "prompt_version": record.prompt_version,
        "models": list(record.models),
        "totals": {
            "chunks": len(record.chunks),
            "failed": record.failed,
            "input_tokens": record.input_tokens,
            "output_tokens": record.output_tokens,
            "cost_usd": round(record.cost_usd, 6),
            "latency_ms": round(record.latency_ms, 1),
        },
        "comment_outcomes": dict(record.outcomes),
        "chunks": [
            {
                "chunk": c.chunk,
                "status": c.status.value,
                "provider": c.provider,
                "model": c.model,
                "prompt_version": c.prompt_version,
                "spans": [{"path": s.path, "start": s.start, "end": s.end} for s in c.spans],
                "findings": c.findings,
                "estimated_tokens": c.estimated_tokens,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "cost_usd": round(c.cost_usd, 6),
                "latency_ms": round(c.latency_ms, 1),
                "comments": c.comments,
                "error": c.error,
                "route": c.route,
                "attempts": [
                    {
                        "provider": a.provider,
                        "model": a.model,
                        "outcome": a.outcome,
                        "latency_ms": round(a.latency_ms, 1),
                        "input_tokens": a.input_tokens,
                        "output_tokens": a.output_tokens,
                        "cost_usd": round(a.cost_usd, 6),
                        "detail": a.detail,
                    }
                    for a in c.attempts
                ],
            }
            for c in record.chunks
        ],
        "not_reviewed": [{"path": n.path, "reason": n.reason} for n in record.not_reviewed],
    }


def _summary(result: ReviewResult, gate: GateOutcome | None) -> dict[str, Any]:
    by_sev = Counter(f.severity.value for f in result.findings)
    by_cat = Counter(f.category.value for f in result.findings)
    files_by_role = Counter(f.role for f in result.files)
    findings_by_role = Counter(f.role for f in result.findings)
    return {
        "files": len(result.files),
        "python_files": sum(1 for f in result.files if f.language == "python"),
        "lines": sum(f.metrics.loc for f in result.files if f.metrics is not None),
        "findings": len(result.findings),
        "by_severity": {s.value: by_sev.get(s.value, 0) for s in Severity},
        "by_category": {c.value: by_cat.get(c.value, 0) for c in Category},
        "by_role": {
            r.value: {"files": files_by_role[r], "findings": findings_by_role[r]} for r in FileRole
        },
        "new": sum(1 for f in result.findings if f.status is FindingStatus.NEW),
        "existing": sum(1 for f in result.findings if f.status is FindingStatus.EXISTING),
        "modules": len(result.architecture.modules),
        "cycles": len(result.architecture.cycles),
        "violations": len(result.architecture.violations),
        "skipped": len(result.skipped),
        "gate": None
        if gate is None
        else {
            "spec": gate.spec,
            "passed": gate.passed,
            "reasons": list(gate.reasons),
            "roles": [r.value for r in gate.roles],
        },
    }


def _metrics(m: FileMetrics | None) -> dict[str, Any] | None:
    if m is None:
        return None
    return {
        "loc": m.loc,
        "sloc": m.sloc,
        "lloc": m.lloc,
        "comments": m.comments,
        "multi": m.multi,
        "blank": m.blank,
        "maintainability_index": round(m.maintainability_index, 2),
        "complexity": m.complexity,
        "functions": [
            {
                "name": fn.name,
                "qualname": fn.qualname,
                "line": fn.line,
                "end_line": fn.end_line,
                "complexity": fn.complexity,
                "length": fn.length,
                "parameters": fn.parameters,
                "nesting": fn.nesting,
                "is_method": fn.is_method,
            }
            for fn in m.functions
        ],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": f.severity.value,
        "category": f.category.value,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "message": f.message,
        "fix_hint": f.fix_hint,
        "fingerprint": f.fingerprint,
        "source": f.source,
        "status": f.status.value,
        "role": f.role.value,
        "extra": {k: str(v) for k, v in sorted(f.extra.items())},
    }


def cycle_dict(c: Cycle) -> dict[str, Any]:
    return {
        "modules": list(c.modules),
        "path": list(c.path),
        "size": c.size,
        "kind": c.kind.value,
        "cut": [
            {"source": e.source, "target": e.target, "path": e.path, "lines": list(e.lines)}
            for e in c.cut
        ],
    }


def violation_dict(v: ContractViolation) -> dict[str, Any]:
    out: dict[str, Any] = {
        "contract": v.contract,
        "contract_type": v.contract_type,
        "importer": v.importer,
        "imported": v.imported,
        "chain": list(v.chain),
        "path": v.path,
        "line": v.line,
        "message": v.message,
    }
    if v.guidance:
        out["guidance"] = v.guidance
    return out


def architecture_dict(a: ArchitectureResult) -> dict[str, Any]:
    return {
        "root_packages": list(a.root_packages),
        "contracts_checked": list(a.contracts_checked),
        "contracts_unsupported": _unsupported(a),
        "contract_warnings": _warnings(a),
        "modules": [
            {"name": m.name, "path": m.path, "is_package": m.is_package} for m in a.modules
        ],
        "imports": [
            {
                "source": e.source,
                "target": e.target,
                "line": e.line,
                "type_checking": e.type_checking,
                "kind": e.kind.value,
                "external": e.external,
            }
            for e in a.imports
        ],
        "cycles": [cycle_dict(c) for c in a.cycles],
        "other_cycles": [cycle_dict(c) for c in a.other_cycles],
        "violations": [violation_dict(v) for v in a.violations],
        "package_metrics": [
            {
                "package": p.package,
                "afferent": p.afferent,
                "efferent": p.efferent,
                "instability": round(p.instability, 4),
                "abstractness": round(p.abstractness, 4),
                "distance": round(p.distance, 4),
                "modules": p.modules,
                "classes": p.classes,
                "abstract_classes": p.abstract_classes,
            }
            for p in a.package_metrics
        ],
    }


def _unsupported(a: ArchitectureResult) -> list[dict[str, Any]]:
    return [
        {"name": u.name, "type": u.type, "source": u.source, "reason": u.reason}
        for u in a.contracts_unsupported
    ]


def _warnings(a: ArchitectureResult) -> list[dict[str, Any]]:
    return [
        {"contract": w.contract, "level": w.level, "message": w.message}
        for w in a.contract_warnings
    ]


SUMMARY_COMMENTS = 3  # the review comments the terminal summary shows
_AI_SUMMARY_KEYS = ("mode", "requested", "note", "totals", "models")


def summary_of(report: Mapping[str, Any]) -> dict[str, Any]:
    """What `coderev review` prints at its end (coderev.console.print_summary) of a report.json
    document: its summary, the architecture's counts and unchecked contracts, the findings'
    drift in counts, the first comments (source files' first) and the AI review's totals. A
    few KB whatever the project's size: the platform's Review step returns it in its state
    output, so the command need not parse the whole report.json (Django's 9.8 MB) to print it.
    """
    arch = report["architecture"]
    comments = report["review"]["comments"]
    source = [c for c in comments if c.get("role", "source") == "source"]
    drift = (report.get("drift") or {}).get("findings")
    ai = report["review"].get("ai")
    counted = ("modules", "imports", "cycles", "violations", "contracts_checked")
    return {
        "source": report["source"],
        "summary": report["summary"],
        "architecture": {
            **{k: len(arch[k]) for k in counted},
            "contracts_unsupported": list(arch.get("contracts_unsupported", ())),
            "contract_warnings": list(arch.get("contract_warnings", ())),
        },
        "drift": None
        if drift is None
        else {"new": drift["new"], "existing": drift["existing"], "fixed": len(drift["fixed"])},
        "comments": [
            {k: c[k] for k in ("path", "line", "severity", "title")}
            for c in (source or comments)[:SUMMARY_COMMENTS]
        ],
        "ai": None if ai is None else {k: ai[k] for k in _AI_SUMMARY_KEYS if k in ai},
    }


def summary_of_result(result: ReviewResult, gate: GateOutcome | None = None) -> dict[str, Any]:
    """summary_of(to_json_dict(result, gate)), without building the report's long lists."""
    a = result.architecture
    return summary_of({
        "source": result.source,
        "summary": _summary(result, gate),
        "architecture": {
            "modules": a.modules, "imports": a.imports, "cycles": a.cycles,
            "violations": a.violations, "contracts_checked": a.contracts_checked,
            "contracts_unsupported": _unsupported(a), "contract_warnings": _warnings(a),
        },
        "drift": _drift(result),
        "review": _review(result.review),
    })  # fmt: skip


def _drift(result: ReviewResult) -> dict[str, Any] | None:
    if result.findings_drift is None and result.architecture_drift is None:
        return None
    fd = result.findings_drift
    return {
        "findings": None
        if fd is None
        else {
            "new": fd.new,
            "existing": fd.existing,
            "fixed": list(fd.fixed),
        },
        "architecture": _architecture_drift(result.architecture_drift),
    }


def _architecture_drift(d: ArchitectureDrift | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "new_imports": [{"source": s, "target": t} for s, t in d.new_imports],
        "removed_imports": [{"source": s, "target": t} for s, t in d.removed_imports],
        "new_cycles": [cycle_dict(c) for c in d.new_cycles],
        "new_violations": [violation_dict(v) for v in d.new_violations],
        "packages": [
            {
                "package": p.package,
                "instability_before": p.instability_before,
                "instability_after": p.instability_after,
                "distance_before": p.distance_before,
                "distance_after": p.distance_after,
            }
            for p in d.packages
        ],
    }
