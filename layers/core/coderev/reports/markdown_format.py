"""report.md: a review ready to paste as a pull-request comment.

GitHub refuses comments over 65,536 characters, so the report is built section by section and
the findings table is cut at a row boundary when needed, saying how many rows were left out.
"""

from __future__ import annotations

from collections import Counter

from coderev.domain.findings import Finding, FindingStatus, Severity
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewResult

MAX_CHARS = 65_536
_ICON = {
    Severity.CRITICAL: "🟥",
    Severity.HIGH: "🟧",
    Severity.MEDIUM: "🟨",
    Severity.LOW: "🟦",
    Severity.INFO: "⬜",
}


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _headline(result: ReviewResult, gate: GateOutcome | None) -> str:
    by_sev = Counter(f.severity for f in result.findings)
    counts = ", ".join(f"{by_sev.get(s, 0)} {s.value}" for s in Severity)
    lines = [
        f"## coderev review of `{result.source}`",
        "",
        f"**{len(result.findings)} findings** ({counts}) in {len(result.files)} files; "
        f"{len(result.architecture.cycles)} import cycle(s), "
        f"{len(result.architecture.violations)} contract violation(s).",
    ]
    if result.findings_drift is not None:
        d = result.findings_drift
        lines.append(
            f"Against the baseline: **{d.new} new**, {d.existing} existing, {len(d.fixed)} fixed."
        )
    if gate is not None:
        verdict = "✅ passed" if gate.passed else "❌ **failed**"
        lines.append(f"Quality gate `{gate.spec}`: {verdict}")
        lines.extend(f"- {r}" for r in gate.reasons)
    return "\n".join(lines) + "\n"


def _finding_rows(findings: list[Finding]) -> list[str]:
    return [
        f"| {_ICON[f.severity]} {f.severity.value} | {f.status.value} | `{f.rule_id}` | "
        f"`{_cell(f.path, 80)}:{f.line}` | {_cell(f.message)} |"
        for f in findings
    ]


def _architecture(result: ReviewResult) -> str:
    a = result.architecture
    out = ["### Architecture", ""]
    if not a.cycles and not a.violations:
        out.append("No import cycles and no contract violations.")
    for c in a.cycles:
        out.append(f"- cycle: `{' → '.join(c.path)}`")
    for v in a.violations:
        out.append(
            f"- **{_cell(v.contract, 80)}** ({v.contract_type}): `{' → '.join(v.chain)}` "
            f"at `{v.path}:{v.line}`"
        )
    worst = sorted(a.package_metrics, key=lambda p: (-p.distance, p.package))[:5]
    if worst:
        out += [
            "",
            "| package | Ca | Ce | instability | abstractness | distance |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        out += [
            f"| `{p.package}` | {p.afferent} | {p.efferent} | {p.instability:.2f} | "
            f"{p.abstractness:.2f} | {p.distance:.2f} |"
            for p in worst
        ]
    return "\n".join(out) + "\n"


def _drift(result: ReviewResult) -> str:
    d = result.architecture_drift
    if d is None:
        return ""
    out = ["### Drift since the baseline", ""]
    out += [f"- new import `{s} → {t}`" for s, t in d.new_imports[:50]]
    out += [f"- removed import `{s} → {t}`" for s, t in d.removed_imports[:50]]
    out += [f"- new cycle `{' → '.join(c.path)}`" for c in d.new_cycles]
    out += [f"- new violation `{' → '.join(v.chain)}` ({v.contract})" for v in d.new_violations]
    for p in d.packages:
        if p.instability_before is not None and p.instability_after is not None:
            delta = p.instability_after - p.instability_before
            if abs(delta) >= 0.01:
                out.append(
                    f"- `{p.package}` instability {p.instability_before:.2f} → "
                    f"{p.instability_after:.2f}"
                )
    if len(out) == 2:
        out.append("No architectural change.")
    return "\n".join(out) + "\n"


def to_markdown(
    result: ReviewResult, gate: GateOutcome | None = None, max_chars: int = MAX_CHARS
) -> str:
    head = _headline(result, gate)
    summary = "### Summary\n\n" + result.review.summary.strip() + "\n"
    tail = _architecture(result) + "\n" + _drift(result)
    ordered = sorted(
        result.findings,
        key=lambda f: (f.status is not FindingStatus.NEW, -f.severity.rank, f.path, f.line),
    )
    table_head = (
        "### Findings\n\n| severity | status | rule | where | message |\n|---|---|---|---|---|\n"
    )
    footer = "\n<sub>Full details: report.json, report.sarif, report.html.</sub>\n"
    fixed = "\n".join([head, summary, tail]) + footer + table_head
    budget = max_chars - len(fixed) - 200  # room for the truncation note
    rows: list[str] = []
    used = 0
    for row in _finding_rows(ordered):
        if used + len(row) + 1 > budget:
            break
        rows.append(row)
        used += len(row) + 1
    note = ""
    if len(rows) < len(ordered):
        note = (
            f"\n… {len(ordered) - len(rows)} more findings not shown (comment size limit); "
            "see report.json.\n"
        )
    table = table_head + "\n".join(rows) + "\n" + note if ordered else "### Findings\n\nNone.\n"
    return "\n".join([head, summary, table, tail]) + footer
