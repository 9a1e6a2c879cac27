"""report.md: a review ready to paste as a pull-request comment.

A comment is read, not searched: it lists the MAX_ROWS most severe findings in source code
(new ones first), counts the rest per rule, then, in a section of their own, the findings in
tests, examples and other non-source files (per role, the MAX_OTHER_ROWS most severe listed),
names the largest MAX_CYCLES
cycles and the coupled packages farthest from the main sequence, and points to report.html for
everything else. GitHub refuses comments over 65,536 characters; the bound is kept in UTF-8
bytes (never fewer than characters or UTF-16 units), and when the sections still do not fit,
the findings table is cut at a row boundary, saying how many rows were left out.
"""

from __future__ import annotations

from collections import Counter

from coderev.domain.architecture import PackageMetrics
from coderev.domain.findings import Finding, FindingStatus, Severity
from coderev.domain.gate import GateOutcome
from coderev.domain.report import ReviewContext, ReviewResult
from coderev.domain.roles import FileRole
from coderev.reports.lint_config_text import lint_config_line

MAX_CHARS = 65_536  # GitHub's comment limit, applied to UTF-8 bytes
MAX_ROWS = 50  # findings listed one per row
MAX_OTHER_ROWS = 10  # findings outside source code listed one per row, after the product's
NON_SOURCE_TITLE = "Tests, examples and other non-source code"
MAX_RULES = 15  # rules in the table counting the findings not listed
MAX_CYCLES = 10
MAX_CUT = 5  # imports of one cycle's cut listed
MAX_MODEL_COMMENTS = 10  # comments AI models wrote, listed after the summary
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
    if (lint := lint_config_line(result.lint_config)) is not None:
        lines.append(f"<sub>Lint: {_cell(lint, 1000)}</sub>")
    lines.append(f"<sub>{_cell(configuration_line(result.context), 1000)}</sub>")
    collapsed = ", ".join(f"`{r}`" for r in result.context.collapsed_rules) or "none yet"
    lines.append(f"<sub>{result.context.collapse_note} ({collapsed}).</sub>")
    if result.findings_drift is not None:
        d = result.findings_drift
        lines.append(
            f"Against the baseline: **{d.new} new**, {d.existing} existing, {len(d.fixed)} fixed."
        )
    if gate is not None:
        verdict = "✅ passed" if gate.passed else "❌ **failed**"
        counted = ", ".join(r.value for r in gate.roles)
        lines.append(f"Quality gate `{gate.spec}` ({counted} files): {verdict}")
        lines.extend(f"- {r}" for r in gate.reasons)
    return "\n".join(lines) + "\n"


def configuration_line(context: ReviewContext) -> str:
    """ "Reviewed with configuration `strict@2` (experiment ..., candidate arm)"."""
    if context.configuration is None:
        said = "Reviewed with coderev's built-in configuration"
    else:
        said = f"Reviewed with configuration `{context.configuration}`"
    if context.experiment_id is not None:
        name = context.experiment_name or context.experiment_id
        said += f" ({context.arm} arm of experiment {name} `{context.experiment_id}`)"
    return said + "."


def _feedback(f: Finding, context: ReviewContext | None) -> str:
    """Links to accept, dismiss (noise) or call a finding wrong; empty without a server."""
    if context is None or context.feedback_link(f.fingerprint, f.rule_id, "accepted") is None:
        return ""
    links = [f"[{label}]({context.feedback_link(f.fingerprint, f.rule_id, verdict)})"
             for label, verdict in (("accept", "accepted"), ("dismiss", "dismissed"),
                                    ("wrong", "wrong"))]  # fmt: skip
    return " " + " · ".join(links)


def _finding_rows(findings: list[Finding], context: ReviewContext | None = None) -> list[str]:
    return [
        f"| {_ICON[f.severity]} {f.severity.value} | {f.status.value} | `{f.rule_id}` | "
        f"`{_cell(f.path, 80)}:{f.line}` | {_cell(f.message)}{_feedback(f, context)} |"
        for f in findings
    ]


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _architecture(result: ReviewResult) -> str:
    a = result.architecture
    out = ["### Architecture", ""]
    if not a.cycles and not a.violations:
        out.append("No import cycles and no contract violations.")
    for u in a.contracts_unsupported:
        out.append(
            f"- **not checked**: contract **{_cell(u.name, 80)}** (type `{_cell(u.type, 80)}`, "
            f"{_cell(u.source, 80)}): {_cell(u.reason)}"
        )
    for w in a.contract_warnings:
        out.append(f"- **{w.level}**: contract **{_cell(w.contract, 80)}**: {_cell(w.message)}")
    cycles = sorted(a.cycles, key=lambda c: (-c.size, c.path))
    for c in cycles[:MAX_CYCLES]:
        out.append(f"- import cycle of {c.size} modules: `{' → '.join(c.path)}`")
        cut = "; ".join(
            f"`{e.source} → {e.target}` at `{e.path}:{','.join(map(str, e.lines))}`"
            for e in c.cut[:MAX_CUT]
        )
        if cut:
            more = f" and {len(c.cut) - MAX_CUT} more (report.html)" if len(c.cut) > MAX_CUT else ""
            out.append(f"  - to break it, remove {cut}{more}")
    if len(cycles) > MAX_CYCLES:
        out.append(f"- … {len(cycles) - MAX_CYCLES} smaller cycles: see report.html.")
    if a.other_cycles:
        out.append(
            f"- {len(a.other_cycles)} other cycle(s) closed only by deferred or type-checking "
            "imports (not findings): see report.html."
        )
    for v in a.violations:
        out.append(
            f"- **{_cell(v.contract, 80)}** ({v.contract_type}): `{' → '.join(v.chain)}` "
            f"at `{v.path}:{v.line}`"
        )
    worst = _farthest_from_main_sequence(result)
    if worst:
        out += [
            "",
            "Coupled packages farthest from the main sequence:",
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


def _farthest_from_main_sequence(result: ReviewResult) -> list[PackageMetrics]:
    """Five packages with coupling (a package nothing imports and that imports nothing sits
    at distance 1 by definition, which says nothing), test packages left out."""
    from coderev.reports.coupling_table import packages_of_tests

    tests = packages_of_tests(result.architecture, {f.path: f.role for f in result.files})
    coupled = [
        p
        for p in result.architecture.package_metrics
        if (p.afferent or p.efferent) and p.package not in tests
    ]
    return sorted(coupled, key=lambda p: (-p.distance, -(p.afferent + p.efferent), p.package))[:5]


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


def _not_listed(rest: list[Finding]) -> str:
    """The findings in source code left out of the table, counted per rule."""
    out = []
    if rest:
        by_rule = Counter((f.rule_id, f.severity) for f in rest)
        out += [
            "",
            f"{len(rest)} more in source code, by rule:",
            "",
            "| rule | severity | findings |",
            "|---|---|---:|",
        ]
        ranked = sorted(by_rule.items(), key=lambda kv: (-kv[0][1].rank, -kv[1], kv[0][0]))
        out += [f"| `{r}` | {s.value} | {n} |" for (r, s), n in ranked[:MAX_RULES]]
        if len(ranked) > MAX_RULES:
            rules_left = sum(n for _, n in ranked[MAX_RULES:])
            out.append(f"| {len(ranked) - MAX_RULES} more rules | | {rules_left} |")
    return "\n".join(out) + "\n" if out else ""


def _non_source(others: list[Finding], budget: int) -> str:
    """The section of the findings outside source code: counted per role, the most severe
    listed (as many of MAX_OTHER_ROWS as `budget` bytes allow)."""
    if not others:
        return ""
    by_role = Counter(f.role for f in others)
    counts = ", ".join(f"{by_role[r]} in {r.value} files" for r in FileRole if by_role[r])
    head = f"\n### {NON_SOURCE_TITLE}\n\n{counts}, ranked after the product's"
    shown = min(len(others), MAX_OTHER_ROWS)
    head += f"; the {shown} most severe:\n\n" if shown < len(others) else ":\n\n"
    table_head = (
        "| role | severity | status | rule | where | message |\n|---|---|---|---|---|---|\n"
    )
    used = _size(head) + _size(table_head)
    if used > budget:
        return ""
    rows: list[str] = []
    for f in others[:MAX_OTHER_ROWS]:
        row = (
            f"| {f.role.value} | {_ICON[f.severity]} {f.severity.value} | {f.status.value} | "
            f"`{f.rule_id}` | `{_cell(f.path, 80)}:{f.line}` | {_cell(f.message)} |"
        )
        if used + _size(row) + 1 > budget:
            break
        rows.append(row)
        used += _size(row) + 1
    if not rows:  # no room for a row: the counts alone
        return f"\n### {NON_SOURCE_TITLE}\n\n{counts}.\n"
    return head + table_head + "\n".join(rows) + "\n"


def _cut_note(rows: int) -> str:
    return f"\n… {rows} more findings not shown (comment size limit); see report.html.\n"


def _collapsed(findings: list[Finding], context: ReviewContext, budget: int) -> str:
    """The findings of the project's low-acceptance rules, folded away (the most severe
    MAX_OTHER_ROWS listed inside, as the size limit allows)."""
    if not findings:
        return ""
    rules = Counter(f.rule_id for f in findings)
    shares = ", ".join(
        f"`{r}` {context.acceptance[r]:.0%} accepted" if r in context.acceptance else f"`{r}`"
        for r in sorted(rules)
    )
    head = (
        f"\n<details><summary>{len(findings)} finding(s) of rules users of this project "
        f"rarely accept ({shares}): collapsed</summary>\n\n"
        "| severity | status | rule | where | message |\n|---|---|---|---|---|\n"
    )
    tail = "\n</details>\n"
    used = _size(head) + _size(tail)
    if used > budget:
        return ""
    rows = []
    for row in _finding_rows(findings[:MAX_OTHER_ROWS], context):
        if used + _size(row) + 1 > budget:
            break
        rows.append(row)
        used += _size(row) + 1
    return head + "\n".join(rows) + tail


def _findings(ordered: list[Finding], budget: int, context: ReviewContext | None = None) -> str:
    source = [f for f in ordered if f.role is FileRole.SOURCE]
    others = [f for f in ordered if f.role is not FileRole.SOURCE]
    if not ordered:
        return "### Findings\n\nNone.\n"
    head = (
        f"### Findings\n\nThe {min(len(source), MAX_ROWS)} most severe in source code"
        f"{' (new first)' if any(f.status is FindingStatus.EXISTING for f in source) else ''}"
        f"; report.html lists every finding by role, filterable.\n\n"
        if source
        else "### Findings\n\nNone in source code.\n"
    )
    table_head = "| severity | status | rule | where | message |\n|---|---|---|---|---|\n"
    rows: list[str] = []
    used = _size(head) + _size(table_head) + _size(_cut_note(MAX_ROWS))
    for row in _finding_rows(source[:MAX_ROWS], context):
        if used + _size(row) + 1 > budget:
            break
        rows.append(row)
        used += _size(row) + 1
    cut = len(source[:MAX_ROWS]) - len(rows)
    note = _cut_note(cut) if cut else ""
    rest = _not_listed(source[len(rows) :])
    if used + _size(note) + _size(rest) > budget:
        rest = ""  # the counts are a convenience: the size limit wins
    table = table_head + "\n".join(rows) + "\n" if rows else ""
    used += _size(note) + _size(rest)
    return head + table + note + rest + _non_source(others, budget - used)


def to_markdown(
    result: ReviewResult, gate: GateOutcome | None = None, max_chars: int = MAX_CHARS
) -> str:
    """The comment; at most `max_chars` UTF-8 bytes."""
    head = _headline(result, gate)
    summary = "### Summary\n\n" + result.review.summary.strip() + "\n" + _model_comments(result)
    tail = _architecture(result) + "\n" + _drift(result)
    footer = (
        "\n<sub>Everything else — every finding, the dependency graph, coupling of every package,"
        " per-file metrics — is in report.html; the data in report.json and report.sarif.</sub>\n"
    )
    fixed = [head, summary, tail]
    if _size("\n".join(fixed) + footer) > max_chars // 2:
        # a summary or architecture section this long would crowd out the findings: cut it
        fixed = [_clip(part, max_chars // 6) for part in fixed]
    ordered = sorted(
        result.findings,
        key=lambda f: (f.status is not FindingStatus.NEW, -f.severity.rank, f.path, f.line),
    )
    budget = max_chars - _size("\n".join(["", *fixed]) + footer)  # with the findings' "\n"
    rare = frozenset(result.context.collapsed_rules)
    collapsed = _collapsed([f for f in ordered if f.rule_id in rare], result.context, budget // 4)
    shown = [f for f in ordered if f.rule_id not in rare]
    findings = _findings(shown, budget - _size(collapsed), result.context) + collapsed
    return "\n".join([fixed[0], fixed[1], findings, fixed[2]]) + footer


def _model_comments(result: ReviewResult) -> str:
    """The comments AI models wrote (their first MAX_MODEL_COMMENTS), after the summary."""
    from coderev.reports.sarif_ai import model_comments

    written = model_comments(result.review)
    if not written:
        return ""
    rows = [
        f"- {_ICON[c.severity]} {c.severity.value} `{_cell(c.path, 80)}:{c.line}` — "
        f"{_cell(c.title)} ({c.reviewer}"
        + (f", confidence {c.confidence:.2f}" if c.confidence is not None else "") + ")"
        for c in written[:MAX_MODEL_COMMENTS]
    ]  # fmt: skip
    more = len(written) - MAX_MODEL_COMMENTS
    if more > 0:
        rows.append(f"- … {more} more in report.html")
    return "\n#### Comments by AI models\n\n" + "\n".join(rows) + "\n"


def _clip(text: str, limit: int) -> str:
    """`text` cut at a line boundary to at most `limit` UTF-8 bytes, saying so."""
    if _size(text) <= limit:
        return text
    note = "… (cut to fit a comment; see report.html)\n"
    kept: list[str] = []
    used = _size(note)
    for line in text.splitlines(keepends=True):
        if used + _size(line) > limit:
            break
        kept.append(line)
        used += _size(line)
    return "".join(kept) + note
