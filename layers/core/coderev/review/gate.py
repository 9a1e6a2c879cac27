"""The quality gate: `--fail-on` specs such as "high", "new-high" or "new-medium,architecture".

A spec is a comma-separated list of conditions; the gate fails when any condition matches at
least one finding. Each condition is a severity (`critical`, `high`, `medium`, `low`,
`info`/`any`: a finding at or above it) or `architecture` (an architecture finding: contract
violation or import cycle), optionally prefixed `new-` to count only findings not in the
baseline. `none` or an empty spec never fails. Exit codes are the CLI's business.

An `architecture` condition (new or not) also fails when a configured contract was not checked
(an unsupported type, see coderev.architecture.config): what it forbids is unknown, so the
architecture cannot be said to pass. The caller passes no such contracts when the user allowed
them (`--allow-unsupported-contracts`). It fails too on a contract's ignore_imports line that
matches nothing when the contract's unmatched_ignore_imports_alerting is "error" (the default),
as lint-imports does.

Only findings in files of the gate's roles count: source files unless the project's
`[tool.coderev] gate_roles` says otherwise, so a test fixture's "password" fails no build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coderev.domain.architecture import ContractWarning, UnsupportedContract
from coderev.domain.errors import ConfigError
from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.gate import GateOutcome
from coderev.domain.roles import FileRole

NO_GATE = "none"
_ALIASES = {"any": Severity.INFO}
ACCEPTED_FORMS = (
    "none",
    "critical",
    "high",
    "medium",
    "low",
    "info",
    "any",
    "architecture",
    "new-<any of the above but none>",
    "comma-separated combinations such as new-high,architecture",
)


@dataclass(frozen=True, slots=True)
class GateCondition:
    """One term of a spec: findings at/above `min_severity`, or of `category`; maybe new only."""

    label: str  # the term as normalised, e.g. "new-high"
    new_only: bool
    min_severity: Severity | None = None
    category: Category | None = None

    def matches(self, finding: Finding) -> bool:
        if self.new_only and finding.status is not FindingStatus.NEW:
            return False
        if self.category is not None:
            return finding.category is self.category
        return self.min_severity is not None and finding.severity.at_least(self.min_severity)

    def describe(self, count: int) -> str:
        noun = "finding" if count == 1 else "findings"
        new = "new " if self.new_only else ""
        if self.category is not None:
            return f"{count} {new}{self.category.value} {noun}"
        if self.min_severity is Severity.INFO:
            return f"{count} {new}{noun} of any severity"
        assert self.min_severity is not None
        return f"{count} {new}{noun} at or above {self.min_severity.value}"


@dataclass(frozen=True, slots=True)
class GateSpec:
    text: str  # normalised spec, e.g. "new-high,architecture"; "none" for no gate
    conditions: tuple[GateCondition, ...]

    @property
    def enabled(self) -> bool:
        return bool(self.conditions)


def parse_gate(spec: str) -> GateSpec:
    """The GateSpec for a `--fail-on` value. ConfigError lists the accepted forms when invalid."""
    terms = [t.strip().lower() for t in spec.split(",")]
    if all(not t for t in terms) or terms == [NO_GATE]:
        return GateSpec(text=NO_GATE, conditions=())
    conditions: dict[str, GateCondition] = {}
    for term in terms:
        condition = _parse_term(term, spec)
        conditions.setdefault(condition.label, condition)
    return GateSpec(text=",".join(conditions), conditions=tuple(conditions.values()))


def _parse_term(term: str, spec: str) -> GateCondition:
    new_only = term.startswith("new-")
    body = term.removeprefix("new-")
    if body == "architecture":
        return GateCondition(label=term, new_only=new_only, category=Category.ARCHITECTURE)
    severity = _ALIASES.get(body)
    if severity is None and body in {s.value for s in Severity}:
        severity = Severity(body)
    if severity is None:
        problem = "an empty term" if not term else f"{term!r}"
        if term == NO_GATE:
            problem = "'none' combined with other conditions"
        raise ConfigError(
            f"invalid --fail-on spec {spec!r}: {problem} is not a gate condition; "
            f"accepted: {', '.join(ACCEPTED_FORMS)}"
        )
    return GateCondition(label=term, new_only=new_only, min_severity=severity)


def evaluate_gate(
    spec: GateSpec,
    findings: Sequence[Finding],
    unchecked_contracts: Sequence[UnsupportedContract] = (),
    roles: Iterable[FileRole] = (FileRole.SOURCE,),
    contract_warnings: Sequence[ContractWarning] = (),
) -> GateOutcome:
    """Passed unless some condition matches a finding in a file of one of `roles`; one reason
    per matched condition.

    A reason counts the matches and names the rules, most frequent first, e.g.
    "3 findings at or above high (S608 x2, CR-MET-001 x1)". `unchecked_contracts` fail every
    architecture condition, with a reason naming them, and so do `contract_warnings` at the
    "error" level (an ignore_imports line matching nothing fails lint-imports too).
    """
    errors = [w for w in contract_warnings if w.level == "error"]
    counted = tuple(dict.fromkeys(roles))
    reasons = []
    for condition in spec.conditions:
        hits = Counter(f.rule_id for f in findings if f.role in counted and condition.matches(f))
        if hits:
            total = sum(hits.values())
            rules = ", ".join(
                f"{rule} x{n}"
                for rule, n in sorted(hits.items(), key=lambda item: (-item[1], item[0]))
            )
            reasons.append(f"{condition.describe(total)} ({rules})")
        if condition.category is Category.ARCHITECTURE and unchecked_contracts:
            names = ", ".join(f"{u.name!r} (type {u.type})" for u in unchecked_contracts)
            n = len(unchecked_contracts)
            reasons.append(
                f"{condition.label}: {n} contract{'s' if n != 1 else ''} not checked: {names}; "
                "--allow-unsupported-contracts accepts this"
            )
        if condition.category is Category.ARCHITECTURE:
            reasons.extend(
                f"{condition.label}: contract {w.contract!r}: {w.message}" for w in errors
            )
    return GateOutcome(spec=spec.text, passed=not reasons, reasons=tuple(reasons), roles=counted)
