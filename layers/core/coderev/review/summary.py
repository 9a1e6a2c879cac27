"""The review's short markdown summary: size of the review, top risks, and the architecture."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult
from coderev.domain.findings import FindingStatus, Severity
from coderev.domain.review import ReviewComment
from coderev.domain.roles import FileRole
from coderev.review.ranking import top_risks
from coderev.review.reviewer import ReviewInput

TOP_RISKS = 5
FARTHEST_PACKAGES = 3
_LISTED = 3  # cycles / violations named before "and N more"


def write_summary(
    subject: ReviewInput, ranked: Sequence[ReviewComment], held_back: int = 0
) -> str:
    """Markdown: counts (and new/existing/fixed with a baseline), top risks, architecture.
    `held_back`: findings below the posting bar (see posting), listed in the report only."""
    overview = _overview(subject)
    if held_back:
        overview += (
            f" {_plural(held_back, 'finding')} below the bar for a review comment (style, "
            "rules that mostly flag safe code, sizes short of a hotspot, code outside the "
            "product) are listed in the report only."
        )
    parts = [
        overview,
        "### Top risks\n" + _top_risks(ranked),
        "### Architecture\n" + _architecture(subject.architecture, subject.architecture_drift),
    ]
    return "\n\n".join(parts) + "\n"


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _overview(subject: ReviewInput) -> str:
    findings = subject.findings
    line = (
        f"Reviewed **{subject.source}**: {_plural(len(subject.files), 'file')}, "
        f"{_plural(len(findings), 'finding')}"
    )
    by_severity = Counter(f.severity for f in findings)
    if findings:
        line += " (" + ", ".join(
            f"{by_severity[s]} {s.value}" for s in Severity if by_severity[s]
        ) + ")"
    line += "."
    if subject.has_baseline:
        new = sum(1 for f in findings if f.status is FindingStatus.NEW)
        fixed = len(subject.findings_drift.fixed) if subject.findings_drift else None
        line += f" Against the baseline: {new} new, {len(findings) - new} existing"
        line += f", {fixed} fixed." if fixed is not None else "."
    return line + _by_role(subject)


def _by_role(subject: ReviewInput) -> str:
    """How the files and findings split between product code and the rest, when they do."""
    files = Counter(f.role for f in subject.files)
    if not set(files) - {FileRole.SOURCE}:
        return ""
    findings = Counter(f.role for f in subject.findings)
    others = ", ".join(
        f"{files[r]} {r.value}" for r in FileRole if r is not FileRole.SOURCE and files[r]
    )
    other_findings = sum(n for r, n in findings.items() if r is not FileRole.SOURCE)
    return (
        f" Product code: {_plural(files[FileRole.SOURCE], 'file')}, "
        f"{_plural(findings[FileRole.SOURCE], 'finding')}; tests, examples and other "
        f"non-source code ({others}): {_plural(other_findings, 'finding')}, ranked after "
        "the product's."
    )


def _top_risks(ranked: Sequence[ReviewComment]) -> str:
    if not ranked:
        return "No findings."
    rows = []
    for i, c in enumerate(top_risks(ranked, TOP_RISKS), start=1):
        where = f" — `{c.path}:{c.line}`" if c.path else ""
        role = "" if c.role is FileRole.SOURCE else f" ({c.role.value})"
        rows.append(f"{i}. **{c.severity.value}** {c.category.value}{role}: {c.title}{where}")
    return "\n".join(rows)


def _architecture(arch: ArchitectureResult, drift: ArchitectureDrift | None) -> str:
    packages = {m.name if m.is_package else m.name.rpartition(".")[0] for m in arch.modules}
    packages.discard("")
    internal = sum(1 for e in arch.imports if not e.external)
    rows = [
        f"- {_plural(len(arch.modules), 'module')} in {_plural(len(packages), 'package')}, "
        f"{_plural(internal, 'internal import')}."
    ]
    checked = len(arch.contracts_checked)
    if not arch.cycles and not arch.violations:
        rows.append(
            f"- No architecture issues: no import cycles, no contract violations "
            f"({_plural(checked, 'contract')} checked)."
        )
    if arch.cycles:
        cycles = [" -> ".join(c.path) for c in arch.cycles]
        rows.append(f"- {_plural(len(cycles), 'import cycle')}: {_listed(cycles)}")
    if arch.violations:
        broken = [f"{v.importer} -> {v.imported} (contract {v.contract!r})"
                  for v in arch.violations]
        rows.append(f"- {_plural(len(broken), 'contract violation')}: {_listed(broken)}")
    farthest = sorted(
        (p for p in arch.package_metrics if p.distance > 0), key=lambda p: (-p.distance, p.package)
    )[:FARTHEST_PACKAGES]
    if farthest:
        rows.append(
            "- Farthest from the main sequence: "
            + ", ".join(
                f"`{p.package}` D={p.distance:.2f} (I={p.instability:.2f}, A={p.abstractness:.2f})"
                for p in farthest
            )
            + "."
        )
    if drift is not None:
        rows.append(
            f"- Since the baseline: {_plural(len(drift.new_imports), 'new internal import')}, "
            f"{_plural(len(drift.removed_imports), 'removed import')}, "
            f"{_plural(len(drift.new_cycles), 'new cycle')}, "
            f"{_plural(len(drift.new_violations), 'new contract violation')}."
        )
    return "\n".join(rows)


def _listed(texts: Sequence[str]) -> str:
    extra = len(texts) - _LISTED
    return "; ".join(texts[:_LISTED]) + (f" and {extra} more" if extra > 0 else "") + "."
