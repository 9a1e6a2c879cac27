"""One rule's knowledge: what it finds, why that matters, what to do, and how sure it is.

Entries are frozen dataclasses built from the catalogue's data files (see catalogue); nothing
here reads a file. `severity` is the rule's level in product code, before the severity policy
adjusts it for the file's role (see policy).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from coderev.domain.findings import Category, Severity
from coderev.domain.roles import FileRole


class Precision(StrEnum):
    """SARIF's `precision` property: how often a result of the rule is a true positive."""

    VERY_HIGH = "very-high"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Origin(StrEnum):
    CODEREV = "coderev"
    RUFF = "ruff"


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """A rule's catalogue entry.

    `vetted` entries were written by hand for this rule alone; an unvetted ruff rule carries
    ruff's own description and an empty `suggestion` (no invented advice). `graded` rules set
    a severity per finding (how far past a threshold, whether a cycle crosses packages); their
    `severity` is then the ceiling. `skip_roles` are the file roles where a finding of the rule
    means nothing (a fixture's "password", a test's missing timeout): it is not reported there.
    """

    id: str
    name: str
    title: str
    why: str
    suggestion: str
    category: Category
    severity: Severity
    precision: Precision
    origin: Origin
    vetted: bool
    help_uri: str = ""
    cwe: tuple[int, ...] = ()
    skip_roles: frozenset[FileRole] = frozenset()
    graded: bool = False
    fixable: str = "none"  # ruff's fix availability: "always", "sometimes" or "none"
    linter: str = ""

    @property
    def cwe_tags(self) -> tuple[str, ...]:
        """CWE ids as GitHub code scanning's SARIF tags: `external/cwe/cwe-89`."""
        return tuple(f"external/cwe/cwe-{n}" for n in self.cwe)
